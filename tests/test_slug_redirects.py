"""Old addresses keep working: a changed slug answers with a 301 to where the page is now."""

import pytest
from sqlalchemy import select

from blog.extensions import db
from blog.models import Category, OldSlug, Tag
from tests.helpers import csrf_token, post_form_data


@pytest.fixture
def reader(app):
    """A second browser, signed out: it gets the page cache, as readers do."""
    return app.test_client()


@pytest.fixture
def write(app, signed_in, content):
    """Submit the post form like a browser; return the post's id."""
    content.post("Filler", category="World News")
    with app.app_context():
        category_id = db.session.scalar(select(Category.id))

    def submit(post_id=None, **fields):
        url = f"/editor/posts/{post_id}" if post_id else "/editor/posts/new"
        data = post_form_data(signed_in, url, category_id, **{"status": "publish", **fields})
        response = signed_in.post(url, data=data)
        assert response.status_code == 302, response.text[:2000]
        return int(response.location.rsplit("/", 1)[1])

    return submit


def confirm(client, url: str):
    """Press the button of a confirmation page (trash, delete for good)."""
    response = client.post(url, data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    return response


def old_slugs(app) -> list[tuple[str, str]]:
    with app.app_context():
        return db.session.execute(select(OldSlug.kind, OldSlug.slug).order_by(OldSlug.id)).all()


def moved_to(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 301, (url, response.status_code)
    # Kept an hour, not for good: a new post may take the old slug one day.
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    return response.location


def test_published_post_slug_change_redirects_for_good(app, reader, write):
    post_id = write(title="Harbour opens")
    assert reader.get("/posts/harbour-opens").status_code == 200

    write(post_id, title="Harbour reopens", slug="harbour-reopens")

    assert moved_to(reader, "/posts/harbour-opens") == "/posts/harbour-reopens"
    assert moved_to(reader, "/posts/harbour-opens?ref=mail&x=1&x=2") == (
        "/posts/harbour-reopens?ref=mail&x=1&x=2"
    )
    assert "Harbour reopens" in reader.get("/posts/harbour-reopens").text
    # Unknown slugs stay unknown.
    assert reader.get("/posts/harbour").status_code == 404


def test_unicode_slugs_redirect(app, reader, write):
    post_id = write(title="Café Zürich")
    write(post_id, title="Café Zürich", slug="Zürich Café")

    assert moved_to(reader, "/posts/café-zürich") == "/posts/z%C3%BCrich-caf%C3%A9"
    assert reader.get("/posts/zürich-café").status_code == 200


def test_draft_and_scheduled_slugs_were_never_public(app, reader, write):
    draft = write(title="Secret plan", status="draft")
    write(draft, title="Secret plan", slug="plan-b", status="draft")
    write(draft, title="Secret plan", slug="plan-c")  # published under its third slug
    later = {"status": "schedule", "publish_at": "2031-01-15T10:30"}
    scheduled = write(title="Embargoed", **later)
    write(scheduled, title="Embargoed", slug="embargo-lifted", **later)

    assert old_slugs(app) == []
    for slug in ("secret-plan", "plan-b", "embargoed"):
        assert reader.get(f"/posts/{slug}").status_code == 404
    assert reader.get("/posts/plan-c").status_code == 200


def test_a_chain_of_changes_leads_straight_to_the_last(app, reader, write):
    post_id = write(title="First headline", slug="a")
    write(post_id, slug="b")
    write(post_id, slug="c")

    assert moved_to(reader, "/posts/a") == "/posts/c"
    assert moved_to(reader, "/posts/b") == "/posts/c"
    assert reader.get("/posts/c").status_code == 200


def test_a_live_slug_wins_over_an_old_one(app, reader, write):
    moved = write(title="Moved story", slug="scoop")
    write(moved, title="Moved story", slug="moved-story")
    assert moved_to(reader, "/posts/scoop") == "/posts/moved-story"

    write(title="Another scoop", slug="scoop")

    page = reader.get("/posts/scoop")
    assert page.status_code == 200 and "Another scoop" in page.text
    assert old_slugs(app) == []


def test_a_post_back_in_draft_or_trash_is_not_found(app, signed_in, reader, write):
    post_id = write(title="Retracted", slug="retracted")
    write(post_id, title="Retracted", slug="withdrawn")
    assert moved_to(reader, "/posts/retracted") == "/posts/withdrawn"

    write(post_id, title="Retracted", slug="withdrawn", status="draft")
    response = reader.get("/posts/retracted")
    assert response.status_code == 404 and "withdrawn" not in response.text

    write(post_id, title="Retracted", slug="withdrawn")
    assert moved_to(reader, "/posts/retracted") == "/posts/withdrawn"
    confirm(signed_in, f"/editor/posts/{post_id}/trash")
    response = reader.get("/posts/retracted")
    assert response.status_code == 404 and "withdrawn" not in response.text


def test_a_post_deleted_for_good_takes_its_old_slugs_along(app, signed_in, reader, write):
    post_id = write(title="Doomed", slug="doomed")
    write(post_id, title="Doomed", slug="doomed-story")
    assert old_slugs(app) == [("post", "doomed")]

    confirm(signed_in, f"/editor/posts/{post_id}/trash")
    confirm(signed_in, f"/editor/posts/{post_id}/delete")

    assert reader.get("/posts/doomed").status_code == 404
    assert old_slugs(app) == []


def test_a_slug_changed_back_forgets_that_old_slug(app, reader, write):
    post_id = write(title="Flip", slug="flip")
    write(post_id, slug="flop")
    write(post_id, slug="flip")

    assert old_slugs(app) == [("post", "flop")]
    assert reader.get("/posts/flip").status_code == 200
    assert moved_to(reader, "/posts/flop") == "/posts/flip"


def rename(client, url: str, **fields):
    response = client.post(url, data={**fields, "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302, response.text[:2000]


def test_renamed_category_keeps_its_old_addresses(app, signed_in, reader, content):
    for n in range(12):
        content.post(f"Desk story {n}", category="World News")
    with app.app_context():
        category_id = db.session.scalar(select(Category.id).where(Category.slug == "world-news"))
    url = f"/editor/categories/{category_id}"

    rename(signed_in, url, name="Global News", slug="world-news", description="")

    assert moved_to(reader, "/category/world-news") == "/category/global-news"
    assert moved_to(reader, "/category/world-news?page=2") == "/category/global-news?page=2"
    assert reader.get("/category/global-news?page=2").status_code == 200
    for fmt in ("atom", "rss"):
        assert moved_to(reader, f"/category/world-news/feed.{fmt}") == (
            f"/category/global-news/feed.{fmt}"
        )
    # WordPress's feed address, one hop later.
    wordpress_feed = reader.get("/category/world-news/feed/")
    assert wordpress_feed.status_code == 301
    assert wordpress_feed.location == "/category/world-news/feed.rss"

    rename(signed_in, url, name="Global News", slug="world-news", description="")
    assert reader.get("/category/world-news").status_code == 200
    assert moved_to(reader, "/category/global-news") == "/category/world-news"
    assert old_slugs(app) == [("category", "global-news")]


def test_renamed_tag_keeps_its_old_addresses_until_deleted(app, signed_in, reader, content):
    content.post("Tagged story", tags=["Space"])
    with app.app_context():
        tag_id = db.session.scalar(select(Tag.id).where(Tag.slug == "space"))
    url = f"/editor/tags/{tag_id}"

    rename(signed_in, url, name="Outer Space", slug="space")
    rename(signed_in, url, name="Cosmos", slug="outer-space")

    for old in ("space", "outer-space"):
        assert moved_to(reader, f"/tag/{old}") == "/tag/cosmos"
        assert moved_to(reader, f"/tag/{old}?page=1") == "/tag/cosmos?page=1"
        assert moved_to(reader, f"/tag/{old}/feed.atom") == "/tag/cosmos/feed.atom"
    assert "Tagged story" in reader.get("/tag/cosmos").text

    confirm(signed_in, f"/editor/tags/{tag_id}/delete")
    assert reader.get("/tag/space").status_code == 404
    assert reader.get("/tag/outer-space/feed.atom").status_code == 404
    assert old_slugs(app) == []


def test_a_new_category_takes_an_old_slug(app, signed_in, reader, content):
    content.post(category="Sport")
    with app.app_context():
        category_id = db.session.scalar(select(Category.id).where(Category.slug == "sport"))
    rename(signed_in, f"/editor/categories/{category_id}", name="Sports", slug="", description="")
    assert moved_to(reader, "/category/sport") == "/category/sports"

    rename(signed_in, "/editor/categories/", name="Sport", slug="", description="")

    # No redirect to Sports any more; the new Sport is no page until a post is out in it.
    assert reader.get("/category/sport").status_code == 404
    assert old_slugs(app) == []


def test_the_page_cache_never_serves_the_old_page(app, signed_in, reader, content, write):
    post_id = write(title="Cached story", slug="cached-story")
    with app.app_context():
        category_id = db.session.scalar(select(Category.id).where(Category.slug == "world-news"))
    for url in ("/posts/cached-story", "/category/world-news"):
        assert reader.get(url).status_code == 200
        assert reader.get(url).status_code == 200  # now from the cache
    assert app.wsgi_app.hits >= 2

    write(post_id, title="Cached story", slug="renamed-story")
    rename(signed_in, f"/editor/categories/{category_id}", name="Elsewhere", description="")

    assert moved_to(reader, "/posts/cached-story") == "/posts/renamed-story"
    assert moved_to(reader, "/category/world-news") == "/category/elsewhere"
    # The 301s are not kept either: the next request still asks the database.
    assert moved_to(reader, "/posts/cached-story") == "/posts/renamed-story"
    page = reader.get("/posts/renamed-story")
    assert page.status_code == 200 and 'href="/category/elsewhere"' in page.text
