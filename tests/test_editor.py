"""Writing through the post form: saving, publishing, scheduling, preview, revisions, trash."""

import re
from datetime import datetime

import pytest
from sqlalchemy import func, select

from blog.extensions import db
from blog.models import Category, Post, Revision, Setting, Tag
from tests.helpers import PASSWORD, csrf_token, post_form_data


@pytest.fixture
def write(signed_in, category_id):
    """Submit the post form like a browser: fetch the form for its token, then post."""

    def submit(post_id=None, expect=302, **fields):
        url = f"/editor/posts/{post_id}" if post_id else "/editor/posts/new"
        data = post_form_data(signed_in, url, category_id, **fields)
        response = signed_in.post(url, data=data)
        assert response.status_code == expect, response.text[:2000]
        return response

    return submit


def saved(app, **where) -> Post:
    with app.app_context():
        post = db.session.scalar(select(Post).filter_by(**where))
        db.session.expunge_all()
        return post


def post_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Post))


def test_publish_a_markdown_post(app, client, write):
    response = write(
        title="Elections in Spring",
        body="## Results\n\n| A | B |\n|---|---|\n| 1 | 2 |",
        tags="Elections, europe , Europe,",
        status="publish",
    )
    post = saved(app, title="Elections in Spring")
    assert response.location == f"/editor/posts/{post.id}"
    assert post.slug == "elections-in-spring" and post.status == "published"
    assert "<table>" in post.body_html and post.excerpt.startswith("Results")
    page = client.get("/posts/elections-in-spring").text
    assert '<h2 id="results">Results<a class="header-anchor"' in page and "<td>1</td>" in page
    with app.app_context():
        assert sorted(db.session.scalars(select(Tag.name))) == ["Elections", "europe"]
    assert "Elections in Spring" in client.get("/").text


def test_html_body_is_sanitized_and_source_kept(app, client, write):
    source = '<p onclick="steal()">Hi <script>alert(1)</script><a href="javascript:x">x</a></p>'
    write(title="Raw", body_format="html", body=source, status="publish")
    post = saved(app, title="Raw")
    assert post.body_source == source
    assert "onclick" not in post.body_html and "<script" not in post.body_html
    assert "javascript" not in post.body_html
    page = client.get(f"/posts/{post.slug}").text
    assert "<script>alert" not in page and "steal()" not in page
    editor_form = client.get(f"/editor/posts/{post.id}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in editor_form


def test_slugs_are_unicode_unique_and_stable_once_published(app, write):
    write(title="Café in Zürich", status="publish")
    write(title="Café in Zürich", status="publish")
    slugs = sorted(p.slug for p in [saved(app, id=1), saved(app, id=2)])
    assert slugs == ["café-in-zürich", "café-in-zürich-2"]
    write(post_id=1, title="A new title", slug=saved(app, id=1).slug, status="publish")
    assert saved(app, id=1).slug == "café-in-zürich"
    write(post_id=1, title="A new title", slug="Chosen Slug", status="publish")
    assert saved(app, id=1).slug == "chosen-slug"


def test_draft_slug_follows_title_until_published(app, write):
    write(title="First idea")
    write(post_id=1, title="Better idea")
    assert saved(app, id=1).slug == "better-idea"


def test_excerpt_is_derived_unless_given(app, write):
    write(title="E", body="The body text here.")
    assert saved(app, id=1).excerpt == "The body text here."
    write(post_id=1, title="E", body="New body.", excerpt="My summary")
    assert saved(app, id=1).excerpt == "My summary"
    write(post_id=1, title="E", body="Newest body.", excerpt="")
    assert saved(app, id=1).excerpt == "Newest body."


def test_schedule_in_the_site_time_zone(app, client, write):
    with app.app_context():
        db.session.add(Setting(key="timezone", value="Europe/Paris"))
        db.session.commit()
    write(title="Future", status="schedule", publish_at="2031-01-15T10:30")
    post = saved(app, title="Future")
    assert post.status == "published" and post.published_at == datetime(2031, 1, 15, 9, 30)
    assert client.get(f"/posts/{post.slug}").status_code == 404
    assert "Future" not in client.get("/").text
    dashboard = client.get("/editor/?status=scheduled").text
    assert "Future" in dashboard and "Scheduled" in dashboard
    form = client.get(f"/editor/posts/{post.id}").text
    assert 'value="2031-01-15T10:30"' in form


def test_schedule_needs_a_time(app, write):
    response = write(title="When?", status="schedule", publish_at="", expect=422)
    assert "Give the date and time" in response.text
    assert post_count(app) == 0


def test_rejected_form_keeps_every_field(app, write):
    response = write(
        title="", body="My precious paragraph.", tags="one, two", excerpt="Kept excerpt", expect=422
    )
    assert "Give the post a title." in response.text
    assert "My precious paragraph." in response.text
    assert 'value="one, two"' in response.text and "Kept excerpt" in response.text
    assert post_count(app) == 0


def test_bodies_of_one_megabyte_are_accepted_and_larger_refused_with_text_kept(app, write):
    megabyte = ("word " * 210_000)[:1_050_000]
    write(title="Long", body=megabyte, status="publish")
    assert len(saved(app, title="Long").body_source) == 1_050_000
    too_long = "x" * (2 * 1024 * 1024 + 10)
    response = write(title="Too long", body=too_long, expect=422)
    assert "longer than 2 MB" in response.text and too_long[:5000] in response.text


def test_preview_shows_unsaved_text_without_saving(app, signed_in, write, category_id):
    token = csrf_token(signed_in, "/editor/posts/new")
    response = signed_in.post(
        "/editor/preview",
        data={
            "csrf_token": token,
            "title": "Preview me",
            "body_format": "markdown",
            "body": "**Bold** <script>alert(1)</script>",
            "category": str(category_id),
            "tags": "Brand new tag",
            "image_id": "0",
            "status": "draft",
            "version": "0",
        },
    )
    assert response.status_code == 200
    assert "<h1>Preview me</h1>" in response.text and "<strong>Bold</strong>" in response.text
    assert "<script>alert" not in response.text
    assert "Preview: only you can see this page" in response.text
    # The byline and the category link where the published post's would.
    assert re.search(r'<span class="byline">By <a href="/author/[^"]+">', response.text)
    assert re.search(r'<p class="kicker"><a href="/category/[^"]+">', response.text)
    assert response.headers["Cache-Control"] == "no-store"
    assert post_count(app) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Tag)) == 0


def test_saved_draft_preview_is_for_the_editor_only(app, client, write):
    write(title="Secret draft")
    assert "Secret draft" in client.get("/editor/posts/1/preview").text
    assert client.get("/posts/secret-draft").status_code == 404
    client.post("/auth/sign-out", data={"csrf_token": csrf_token(client, "/editor/")})
    assert client.get("/editor/posts/1/preview").status_code == 302


def test_every_save_keeps_a_revision_that_can_be_restored(app, client, write):
    write(title="Version one", body="First text.")
    write(post_id=1, title="Version two", body="Second text.")
    write(post_id=1, title="Version three", body="Third text.")
    with app.app_context():
        revisions = db.session.scalars(select(Revision).order_by(Revision.id)).all()
        assert [(r.version, r.title) for r in revisions] == [(1, "Version one"), (2, "Version two")]
        first_id = revisions[0].id
    listing = client.get("/editor/posts/1/revisions").text
    assert "Version one" in listing and "Version two" in listing
    diff = client.get(f"/editor/posts/1/revisions/{first_id}").text
    assert "<del>-First text.</del>" in diff and "<ins>+Third text.</ins>" in diff
    token = csrf_token(client, "/editor/posts/1/revisions")
    client.post(f"/editor/posts/1/revisions/{first_id}/restore", data={"csrf_token": token})
    post = saved(app, id=1)
    assert post.title == "Version one" and post.body_source == "First text."
    assert post.version == 4
    with app.app_context():
        assert db.session.scalar(select(Revision.title).order_by(Revision.id.desc()).limit(1)) == (
            "Version three"
        )


def test_second_tab_save_is_a_conflict_not_an_overwrite(app, signed_in, write, category_id):
    write(title="Shared", body="Original.")
    stale = csrf_token(signed_in, "/editor/posts/1")
    write(post_id=1, title="Shared", body="Saved in tab A.")
    response = signed_in.post(
        "/editor/posts/1",
        data={
            "csrf_token": stale,
            "title": "Shared",
            "body_format": "markdown",
            "body": "Typed in tab B.",
            "category": str(category_id),
            "image_id": "0",
            "status": "draft",
            "version": "1",
        },
    )
    assert response.status_code == 409
    assert "Saved in tab A." in response.text and "Typed in tab B." in response.text
    assert saved(app, id=1).body_source == "Saved in tab A."
    # The conflict page's own form saves tab B's text on purpose.
    version = re.search(r'name="version" type="hidden" value="(\d+)"', response.text).group(1)
    assert version == "2"
    signed_in.post(
        "/editor/posts/1",
        data={
            "csrf_token": stale,
            "title": "Shared",
            "body_format": "markdown",
            "body": "Typed in tab B.",
            "category": str(category_id),
            "image_id": "0",
            "status": "draft",
            "version": version,
        },
    )
    assert saved(app, id=1).body_source == "Typed in tab B."


def test_expired_csrf_token_keeps_the_text(app, signed_in, write, category_id):
    response = signed_in.post(
        "/editor/posts/new",
        data={
            "csrf_token": "expired-or-forged",
            "title": "Unsaved work",
            "body": "Three hours of writing.",
            "body_format": "markdown",
            "category": str(category_id),
            "status": "draft",
            "version": "0",
            "image_id": "0",
        },
    )
    assert response.status_code == 400
    assert "This form had expired" in response.text
    assert "Three hours of writing." in response.text and 'value="Unsaved work"' in response.text
    assert post_count(app) == 0
    fresh = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.text).group(1)
    signed_in.post(
        "/editor/posts/new",
        data={
            "csrf_token": fresh,
            "title": "Unsaved work",
            "body": "Three hours of writing.",
            "body_format": "markdown",
            "category": str(category_id),
            "status": "draft",
            "version": "0",
            "image_id": "0",
        },
    )
    assert saved(app, title="Unsaved work").body_source == "Three hours of writing."


def test_expired_session_keeps_the_text_and_signs_in_again(app, signed_in, category_id):
    token = csrf_token(signed_in, "/editor/posts/new")
    with signed_in.session_transaction() as session:
        session["seen_at"] = 0  # idle for decades
    data = {
        "csrf_token": token,
        "title": "Late night",
        "body": "Words I must not lose.",
        "body_format": "markdown",
        "category": str(category_id),
        "status": "draft",
        "version": "0",
        "image_id": "0",
    }
    response = signed_in.post("/editor/posts/new", data=data)
    assert response.status_code == 401
    assert "Words I must not lose." in response.text and "Sign in again to save" in response.text
    assert post_count(app) == 0
    fresh = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.text).group(1)
    data.update(csrf_token=fresh, reauth_username="editor", reauth_password="wrong one")
    refused = signed_in.post("/editor/posts/new", data=data)
    assert refused.status_code == 401 and "Words I must not lose." in refused.text
    data.update(reauth_password=PASSWORD)
    done = signed_in.post("/editor/posts/new", data=data)
    assert done.status_code == 302
    assert saved(app, title="Late night").body_source == "Words I must not lose."
    assert signed_in.get("/editor/").status_code == 200


def test_trash_restore_and_delete(app, client, write):
    write(title="Doomed", status="publish")
    assert client.get("/posts/doomed").status_code == 200
    confirm = client.get("/editor/posts/1/trash")
    assert "Move “Doomed” to the trash?" in confirm.text
    client.post(
        "/editor/posts/1/trash", data={"csrf_token": csrf_token(client, "/editor/posts/1/trash")}
    )
    assert client.get("/posts/doomed").status_code == 404
    assert "Doomed" in client.get("/editor/?status=trash").text
    assert "Doomed" not in client.get("/editor/").text
    client.post("/editor/posts/1/untrash", data={"csrf_token": csrf_token(client, "/editor/")})
    assert saved(app, id=1).status == "draft"
    assert client.get("/editor/posts/1/delete").status_code == 409
    client.post("/editor/posts/1/trash", data={"csrf_token": csrf_token(client, "/editor/")})
    client.post(
        "/editor/posts/1/delete", data={"csrf_token": csrf_token(client, "/editor/posts/1/delete")}
    )
    assert post_count(app) == 0


def test_published_again_a_post_keeps_the_date_it_first_went_public(app, client, write):
    """As in WordPress: unpublished or trashed, then published again, it is not news again."""
    write(title="Once out", status="publish")
    first = saved(app, id=1).published_at
    write(1, title="Once out", status="draft")
    assert saved(app, id=1).published_at == first
    write(1, title="Once out", status="publish")
    assert saved(app, id=1).published_at == first
    token = csrf_token(client, "/editor/")
    client.post("/editor/posts/1/trash", data={"csrf_token": token})
    client.post("/editor/posts/1/untrash", data={"csrf_token": token})
    write(1, title="Once out", status="publish")
    assert saved(app, id=1).published_at == first
    # A schedule called off was never public: published later, it is dated then.
    write(title="Called off", status="schedule", publish_at="2099-01-01T00:00")
    write(2, title="Called off", status="draft")
    assert saved(app, id=2).published_at is None
    write(2, title="Called off", status="publish")
    assert saved(app, id=2).published_at > first


def test_dashboard_filters_and_counts(app, client, write, category_id):
    write(title="Draft about cats")
    write(title="Published dogs", status="publish")
    write(title="Scheduled birds", status="schedule", publish_at="2099-01-01T00:00")
    page = client.get("/editor/").text
    for title in ["Draft about cats", "Published dogs", "Scheduled birds"]:
        assert title in page
    assert re.search(r"Drafts <span class=\"count\">1</span>", page)
    assert re.search(r"Scheduled <span class=\"count\">1</span>", page)
    assert re.search(r"Published <span class=\"count\">1</span>", page)
    drafts = client.get("/editor/?status=draft").text
    assert "Draft about cats" in drafts and "Published dogs" not in drafts
    search = client.get("/editor/?q=DOGS").text
    assert "Published dogs" in search and "Draft about cats" not in search
    assert "Published dogs" in client.get(f"/editor/?category={category_id}").text
    assert "Published dogs" not in client.get("/editor/?category=999").text


def test_seo_overrides_from_the_post_form(app, client, write):
    write(
        title="Headline",
        status="publish",
        seo_title="Short SEO title",
        seo_description="What search engines show.",
    )
    page = client.get("/posts/headline").text
    assert "<title>Short SEO title · My Blog</title>" in page
    assert '<meta name="description" content="What search engines show.">' in page
    form = client.get("/editor/posts/1").text
    assert 'value="Short SEO title"' in form and '<details class="seo" open>' in form


def test_saving_an_unchanged_post_keeps_it_as_it_was(app, signed_in, write, category_id):
    write(title="Keep me", tags="Alpha, Beta", status="publish", body="Body.")
    form = signed_in.get("/editor/posts/1").text
    assert 'value="Alpha, Beta"' in form
    assert re.search(
        r'<input checked id="status-1" name="status" type="radio" value="publish">', form
    )
    assert re.search(rf'<option selected value="{category_id}">', form)
    assert (
        'name="excerpt"' in form and ">Body.</textarea>" not in form.split('name="excerpt"')[1][:80]
    )


def test_typed_tags_find_existing_ones_by_name_whatever_their_slug(app, write):
    with app.app_context():
        db.session.add(Tag(name="Space", slug="cosmos"))
        db.session.commit()
    write(title="Orbit", tags="space, New One")
    with app.app_context():
        assert sorted(db.session.scalars(select(Tag.slug))) == ["cosmos", "new-one"]


def test_dashboard_pages_keep_their_filters(app, client, write, content):
    for n in range(22):
        content.post(f"Draft {n}", status="draft", category="World News")
    first = client.get("/editor/?status=draft").text
    assert "Page 1 of 2" in first
    link = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert "status=draft" in link and "page=2" in link
    assert "Page 2 of 2" in client.get(link).text


def test_a_new_post_starts_in_the_category_last_written_in(app, signed_in, category_id):
    with app.app_context():
        arts = Category(name="Arts", slug="arts")  # first in the list, alphabetically
        db.session.add(arts)
        db.session.commit()
        arts_id = arts.id
    page = signed_in.get("/editor/posts/new").text
    assert re.search(rf'<option (?:selected )?value="{arts_id}"', page)
    assert "selected" not in page.split('name="category"')[1].split("</select>")[0]
    data = post_form_data(signed_in, "/editor/posts/new", category_id, title="World")
    assert signed_in.post("/editor/posts/new", data=data).status_code == 302
    page = signed_in.get("/editor/posts/new").text
    assert f'<option selected value="{category_id}">World News</option>' in page
