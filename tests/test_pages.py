"""Pages: written in the editor like posts, shown at /slug/, kept out of every post listing."""

import re

import pytest
from sqlalchemy import select

from blog.extensions import db
from blog.models import Media, Page
from tests.helpers import csrf_token

VERSION = re.compile(r'name="version" type="hidden" value="(\d+)"')


def page_data(client, url: str, **fields) -> dict:
    data = {
        "csrf_token": csrf_token(client, url),
        "title": "About us",
        "slug": "",
        "parent": "0",
        "body_format": "markdown",
        "body": "We are a *small* newsroom. Zanzibarquokka.",
        "status": "publish",
        "image_id": "0",
        "image_alt": "",
        "seo_title": "",
        "seo_description": "",
        "version": "0",
    }
    if not url.endswith("/new"):
        data["version"] = VERSION.search(client.get(url).text).group(1)
    data.update({k: str(v) for k, v in fields.items()})
    return data


def new_page(client, **fields):
    return client.post("/editor/pages/new", data=page_data(client, "/editor/pages/new", **fields))


def page_id(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Page.id).where(Page.slug == slug))


def test_a_published_page_has_its_own_address_and_no_date_byline_or_category(signed_in, content):
    content.post("A story")
    response = new_page(signed_in)
    assert response.status_code == 302
    signed_in.post("/auth/sign-out", data={"csrf_token": csrf_token(signed_in, "/editor/")})
    page = signed_in.get("/about-us/")
    assert page.status_code == 200
    assert "<h1>About us</h1>" in page.text
    assert "<em>small</em>" in page.text
    article = re.search(r'<article class="post page">.*?</article>', page.text, re.S).group(0)
    assert "By " not in article and "<time" not in article and "kicker" not in article
    assert "Related posts" not in page.text and "post-nav" not in page.text
    assert signed_in.get("/about-us").status_code in (301, 308)


def test_a_draft_page_is_not_public_but_can_be_previewed(app, signed_in):
    new_page(signed_in, status="draft")
    signed_in.post("/auth/sign-out", data={"csrf_token": csrf_token(signed_in, "/editor/")})
    assert signed_in.get("/about-us/").status_code == 404


def test_saved_preview_shows_a_draft_to_the_editor(app, signed_in):
    new_page(signed_in, status="draft", title="Imprint")
    preview = signed_in.get(f"/editor/pages/{page_id(app, 'imprint')}/preview")
    assert preview.status_code == 200 and "<h1>Imprint</h1>" in preview.text
    unsaved = signed_in.post(
        "/editor/pages/preview", data=page_data(signed_in, "/editor/pages/new", title="Unsaved")
    )
    assert "<h1>Unsaved</h1>" in unsaved.text and "Preview: only you" in unsaved.text
    assert page_id(app, "unsaved") is None


def test_a_child_page_lives_under_its_parent(app, signed_in):
    new_page(signed_in, title="About")
    new_page(signed_in, title="Team", parent=page_id(app, "about"), body="The people.")
    assert "The people." in signed_in.get("/about/team/").text
    assert signed_in.get("/team/").status_code == 404
    assert signed_in.get("/elsewhere/team/").status_code == 404


@pytest.mark.parametrize("slug", ["archive", "search", "posts", "category", "feed", "editor"])
def test_a_slug_the_site_uses_is_refused_at_the_field_with_the_text_kept(signed_in, slug):
    response = new_page(signed_in, title="Clash", slug=slug, body="Typed *text* kept")
    assert response.status_code == 422
    assert f"The address /{slug}/ belongs to the site itself" in response.text
    assert 'value="Clash"' in response.text and "Typed *text* kept" in response.text
    # The reason sits beside the slug field.
    assert re.search(r'id="slug-error">[^<]*belongs to the site', response.text)


def test_a_number_or_a_taken_slug_is_refused(signed_in):
    assert "is a number" in new_page(signed_in, slug="2024").text
    new_page(signed_in, title="Contact")
    again = new_page(signed_in, title="Contact")
    assert again.status_code == 422
    assert "already has the slug “contact”" in again.text


def test_pages_stay_out_of_the_home_page_feeds_and_archives(app, signed_in, content):
    content.post("A story", category="World News", tags=["Harbour"])
    new_page(signed_in, title="Zanzibarquokka page")
    signed_in.post("/auth/sign-out", data={"csrf_token": csrf_token(signed_in, "/editor/")})
    assert "Zanzibarquokka" in signed_in.get("/zanzibarquokka-page/").text
    for url in [
        "/",
        "/feed.atom",
        "/feed.rss",
        "/archive/",
        "/category/world-news",
        "/tag/harbour",
        "/author/editor",
    ]:
        response = signed_in.get(url)
        assert response.status_code == 200, url
        # The footer menu lists pages; the page itself is in no listing or feed.
        main = response.text.split('<footer class="site-footer">')[0]
        assert "Zanzibarquokka" not in main, url
    story = signed_in.get(signed_in.get("/").text.split('card-title"><a href="')[1].split('"')[0])
    assert "Zanzibarquokka" not in story.text.split('<footer class="site-footer">')[0]


def test_pages_are_in_the_sitemap(app, signed_in):
    new_page(signed_in, title="About")
    new_page(signed_in, title="Team", parent=page_id(app, "about"))
    new_page(signed_in, title="Secret", status="draft")
    sitemap = signed_in.get("/sitemap.xml").text
    assert "<loc>http://localhost/about/</loc>" in sitemap
    assert "<loc>http://localhost/about/team/</loc>" in sitemap
    assert "secret" not in sitemap


def test_editing_keeps_revisions_and_restores_one(app, signed_in):
    new_page(signed_in, title="About", body="First text.")
    url = f"/editor/pages/{page_id(app, 'about')}"
    response = signed_in.post(url, data=page_data(signed_in, url, title="About", body="Second."))
    assert response.status_code == 302
    assert "Second." in signed_in.get("/about/").text
    revisions = signed_in.get(f"{url}/revisions").text
    assert "Version 1" in revisions
    with app.app_context():
        from blog.models import PageRevision

        revision_id = db.session.scalar(select(PageRevision.id))
    token = csrf_token(signed_in, f"{url}/revisions")
    signed_in.post(f"{url}/revisions/{revision_id}/restore", data={"csrf_token": token})
    assert "First text." in signed_in.get("/about/").text


def test_a_stale_form_is_not_saved_over_a_newer_version(app, signed_in):
    new_page(signed_in, title="About", body="First.")
    url = f"/editor/pages/{page_id(app, 'about')}"
    stale = page_data(signed_in, url, title="About", body="Stale edit.")
    signed_in.post(url, data=page_data(signed_in, url, title="About", body="Fresh edit."))
    response = signed_in.post(url, data=stale)
    assert response.status_code == 409 and "Stale edit." in response.text
    assert "Fresh edit." in signed_in.get("/about/").text


def test_a_published_page_keeps_its_address_when_its_title_changes(app, signed_in):
    new_page(signed_in, title="About")
    url = f"/editor/pages/{page_id(app, 'about')}"
    signed_in.post(url, data=page_data(signed_in, url, title="About this site"))
    assert "About this site" in signed_in.get("/about/").text


def test_trash_restore_and_delete(app, signed_in):
    new_page(signed_in, title="About")
    url = f"/editor/pages/{page_id(app, 'about')}"
    signed_in.post(f"{url}/trash", data={"csrf_token": csrf_token(signed_in, f"{url}/trash")})
    assert signed_in.get("/about/").status_code == 404
    assert "About" in signed_in.get("/editor/pages/?status=trash").text
    signed_in.post(f"{url}/untrash", data={"csrf_token": csrf_token(signed_in, url)})
    assert "Draft." in signed_in.get(url).text
    signed_in.post(f"{url}/trash", data={"csrf_token": csrf_token(signed_in, f"{url}/trash")})
    signed_in.post(f"{url}/delete", data={"csrf_token": csrf_token(signed_in, f"{url}/delete")})
    assert page_id(app, "about") is None


def test_saving_needs_a_csrf_token(app, signed_in):
    data = page_data(signed_in, "/editor/pages/new")
    del data["csrf_token"]
    assert signed_in.post("/editor/pages/new", data=data).status_code == 400
    assert page_id(app, "about-us") is None


def test_the_pages_screen_lists_pages(app, signed_in):
    new_page(signed_in, title="About")
    new_page(signed_in, title="Team", parent=page_id(app, "about"), status="draft")
    listing = signed_in.get("/editor/pages/").text
    assert "About" in listing and "Team" in listing and 'href="/about/"' in listing
    assert "Pages</a>" in signed_in.get("/editor/").text


def test_a_page_change_reaches_anonymous_readers_through_the_page_cache(app, client, auth):
    auth.sign_in()
    new_page(client, title="About", body="Old words.")
    auth.sign_out()
    assert "Old words." in client.get("/about/").text
    auth.sign_in()
    url = f"/editor/pages/{page_id(app, 'about')}"
    client.post(url, data=page_data(client, url, title="About", body="New words."))
    auth.sign_out()
    assert "New words." in client.get("/about/").text


def test_a_page_costs_a_bounded_number_of_queries(app, client, auth, content, count_queries):
    app.config["PAGE_CACHE"] = False
    content.post("A story")
    auth.sign_in()
    new_page(client, title="About")
    auth.sign_out()
    client.get("/about/")
    response, statements = count_queries(lambda: client.get("/about/"))
    assert response.status_code == 200
    assert len(statements) <= 2, statements


def test_the_sites_own_routes_keep_their_answers(client):
    # The page routes take any /name/: never one the site uses itself.
    assert client.get("/auth/sign-out").status_code == 405
    assert client.get("/editor").status_code in (301, 302, 308)
    assert client.get("/search/").status_code == 404
    assert client.get("/nope").status_code == 404


def test_an_expired_form_keeps_the_text_typed(app, signed_in):
    data = page_data(signed_in, "/editor/pages/new", title="Imprint", body="Typed *text*.")
    data["csrf_token"] = "expired"
    response = signed_in.post("/editor/pages/new", data=data)
    assert response.status_code == 400
    assert "This form had expired" in response.text
    assert 'value="Imprint"' in response.text and "Typed *text*." in response.text
    assert page_id(app, "imprint") is None


def test_a_moved_page_and_its_children_keep_their_old_addresses(app, signed_in):
    new_page(signed_in, title="About")
    new_page(signed_in, title="Team", parent=page_id(app, "about"))
    url = f"/editor/pages/{page_id(app, 'about')}"
    assert signed_in.post(url, data=page_data(signed_in, url, slug="who-we-are")).status_code == 302
    assert signed_in.get("/about/").headers["Location"].endswith("/who-we-are/")
    assert signed_in.get("/about/").status_code == 301
    assert signed_in.get("/about/team/").headers["Location"].endswith("/who-we-are/team/")
    # A second move: the first address leads straight to the newest.
    signed_in.post(url, data=page_data(signed_in, url, slug="people"))
    assert signed_in.get("/about/").headers["Location"].endswith("/people/")
    assert signed_in.get("/who-we-are/team/").headers["Location"].endswith("/people/team/")
    # A page that takes the old address again is shown there, not redirected.
    new_page(signed_in, title="About", slug="about", body="The new about page.")
    assert "The new about page." in signed_in.get("/about/").text
    # A page moved under a parent keeps its top-level address too.
    new_page(signed_in, title="Contact")
    contact = f"/editor/pages/{page_id(app, 'contact')}"
    signed_in.post(contact, data=page_data(signed_in, contact, parent=page_id(app, "people")))
    assert signed_in.get("/contact/").headers["Location"].endswith("/people/contact/")
    # Once in the trash, its old addresses lead nowhere.
    signed_in.post(
        f"{contact}/trash", data={"csrf_token": csrf_token(signed_in, f"{contact}/trash")}
    )
    assert signed_in.get("/contact/").status_code == 404


def test_a_draft_page_leaves_no_old_address(app, signed_in):
    new_page(signed_in, title="Plans", status="draft")
    url = f"/editor/pages/{page_id(app, 'plans')}"
    signed_in.post(url, data=page_data(signed_in, url, slug="roadmap", status="draft"))
    assert signed_in.get("/plans/").status_code == 404


def test_a_signed_out_save_keeps_the_text_and_signs_in_again(app, signed_in):
    from tests.helpers import PASSWORD

    data = page_data(signed_in, "/editor/pages/new", title="Imprint", body="Words to keep.")
    with signed_in.session_transaction() as session:
        session["seen_at"] = 0  # idle for decades: the session has ended
    response = signed_in.post("/editor/pages/new", data=data)
    assert response.status_code == 401
    assert "Words to keep." in response.text and "Sign in again to save" in response.text
    assert page_id(app, "imprint") is None
    fresh = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.text).group(1)
    data.update(csrf_token=fresh, reauth_username="editor", reauth_password="wrong one")
    refused = signed_in.post("/editor/pages/new", data=data)
    assert refused.status_code == 401 and "Words to keep." in refused.text
    data.update(reauth_password=PASSWORD)
    assert signed_in.post("/editor/pages/new", data=data).status_code == 302
    assert "Words to keep." in signed_in.get("/imprint/").text


def test_someone_signed_out_sees_no_page_or_file_names(app, signed_in):
    new_page(signed_in, title="Secret plans", status="draft")
    data = page_data(signed_in, "/editor/pages/new", title="Mine", body="Mine.")
    with signed_in.session_transaction() as session:
        session["seen_at"] = 0
    response = signed_in.post("/editor/pages/new", data=data)
    assert response.status_code == 401 and "Secret plans" not in response.text


def test_pages_follow_the_typographic_quotes_setting(app, signed_in, runner):
    source = '"Quoted" -- it\'s done...'
    new_page(signed_in, title="Plain", body=source)
    assert "&quot;Quoted&quot;" in signed_in.get("/plain/").text
    settings = {
        "csrf_token": csrf_token(signed_in, "/editor/settings"),
        "title": "My Blog",
        "tagline": "",
        "timezone": "UTC",
        "posts_per_page": "10",
        "typographic_quotes": "y",
    }
    assert signed_in.post("/editor/settings", data=settings).status_code == 302
    new_page(signed_in, title="Curly", body=source)
    assert "“Quoted” – it’s done…" in signed_in.get("/curly/").text
    # The older page gets them when every body is rendered again.
    assert "every page again: 1 changed." in runner.invoke(args=["rerender"]).output
    assert "“Quoted” – it’s done…" in signed_in.get("/plain/").text


def test_search_finds_pages_apart_from_posts(app, signed_in, content):
    content.post("Harbour news", body="The harbour reopened.")
    new_page(
        signed_in, title="Contact the newsroom", body="Write to the Café desk about the harbour."
    )
    new_page(signed_in, title="Secret", body="The harbour plans.", status="draft")
    new_page(signed_in, title="Harbour history", body="Old stories.")
    signed_in.post("/auth/sign-out", data={"csrf_token": csrf_token(signed_in, "/editor/")})
    page = signed_in.get("/search?q=harbour").text
    pages_part = page.split('id="search-pages"')[1].split("</section>")[0]
    # Marked as pages, title matches first; drafts never; the post is listed with the posts.
    assert pages_part.index("Harbour history") < pages_part.index("Contact the newsroom")
    assert "Secret" not in page and '<p class="kicker">Page</p>' in pages_part
    assert "<mark>Harbour</mark> news" in page.split("</section>", 1)[1]

    def found(query):  # the results, without the footer menu's page links
        return signed_in.get(f"/search?q={query}").text.split('<footer class="site-footer">')[0]

    # The query's rules: accents and capitals, prefixes, phrases, exclusions.
    assert "Contact the newsroom" in found("cafe")
    assert "Contact the newsroom" in found("newsr*")
    assert "Contact the newsroom" not in found("harbour+-cafe")
    assert "Contact the newsroom" in found('"cafe+desk"')
    assert 'id="search-pages"' not in found('"desk+cafe"')
    # A page alone still says no post matches, under the page.
    only = found("stories")
    assert "Harbour history" in only and "No published post matches" in only


def png_file(name="photo.png"):
    import io

    from PIL import Image

    data = io.BytesIO()
    Image.new("RGB", (640, 480), "teal").save(data, "PNG")
    data.seek(0)
    return data, name


def test_a_featured_image_is_uploaded_from_the_page_form(app, signed_in):
    data = page_data(signed_in, "/editor/pages/new", title="Team")
    data.update(image=png_file(), image_alt="The newsroom")
    response = signed_in.post("/editor/pages/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        page = db.session.scalar(select(Page).where(Page.slug == "team"))
        assert page.image_alt == "The newsroom"
        assert db.session.get(Media, page.image_id).original_name == "photo.png"
    assert 'alt="The newsroom"' in signed_in.get("/team/").text


def test_a_refused_page_form_keeps_its_upload_chosen(app, signed_in):
    data = page_data(signed_in, "/editor/pages/new", title="")
    data.update(image=png_file("kept.png"), image_alt="Kept")
    response = signed_in.post("/editor/pages/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "“kept.png” was kept: it is now in Media and chosen here" in response.text
    assert re.search(r'<option selected value="\d+">kept.png</option>', response.text)
    # Without a description, nothing is stored and the field says why.
    data = page_data(signed_in, "/editor/pages/new", title="No alt")
    data.update(image=png_file("bare.png"))
    response = signed_in.post("/editor/pages/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Describe the image for readers who cannot see it." in response.text
