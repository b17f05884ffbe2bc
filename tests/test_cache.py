"""The page cache and HTTP caching: fresh to the change, across processes, and 304s."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from blog.cache import PageCacheMiddleware, hold_stamp, memo_by_stamp, release_stamp
from blog.extensions import db
from blog.models import Post, Setting, utcnow
from blog.public.views import CACHE_CONTROL
from tests.conftest import make_app
from tests.helpers import csrf_token


@pytest.fixture
def page_cache(app) -> PageCacheMiddleware:
    assert isinstance(app.wsgi_app, PageCacheMiddleware)
    return app.wsgi_app


def test_second_request_is_a_hit_with_no_query(app, client, content, page_cache, count_queries):
    content.post("Cached story")
    first = client.get("/")
    response, statements = count_queries(lambda: client.get("/"))
    assert response.text == first.text and "Cached story" in response.text
    assert statements == [] and page_cache.hits >= 1


def test_http_caching_headers_and_304(client, content):
    content.post("A story")
    response = client.get("/")
    assert response.headers["Cache-Control"] == CACHE_CONTROL
    assert response.headers["ETag"] and response.headers["Last-Modified"]
    again = client.get("/", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    since = client.get("/", headers={"If-Modified-Since": response.headers["Last-Modified"]})
    assert since.status_code == 304
    content.post("Another story")
    changed = client.get("/", headers={"If-None-Match": response.headers["ETag"]})
    assert changed.status_code == 200 and "Another story" in changed.text


def test_gzip_when_accepted(client, content):
    for n in range(5):
        content.post(f"Story {n}", body="Long enough body text. " * 40)
    plain = client.get("/")
    zipped = client.get("/", headers={"Accept-Encoding": "gzip, br"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    import gzip

    assert gzip.decompress(zipped.data) == plain.data
    assert "Accept-Encoding" in zipped.headers["Vary"]


def test_the_page_caches_own_mark_never_reaches_a_client(app, client, content, tmp_path):
    """The app marks pages for the cache; what passes the cache by must not carry it."""
    content.post("Marked")
    cached, searched = client.get("/"), client.get("/search?q=marked")
    client.set_cookie("session", "anything")  # a reader with a session skips the cache
    with_session = client.get("/")
    uncached = make_app(tmp_path, PAGE_CACHE=False).test_client().get("/")
    for response in (cached, searched, with_session, uncached):
        assert response.status_code == 200
        assert "X-Blog-Page-Cache" not in response.headers


def test_editor_pages_are_never_cached(signed_in):
    response = signed_in.get("/editor/")
    assert response.headers["Cache-Control"] == "no-store"


def test_signed_in_editor_gets_fresh_pages_not_the_cache(app, signed_in, content, page_cache):
    content.post("Seen by all")
    hits = page_cache.hits
    signed_in.get("/")
    signed_in.get("/")
    assert page_cache.hits == hits
    assert "private" in signed_in.get("/").headers["Cache-Control"]


def _change_title(app, slug, title):
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.slug == slug))
        post.title = title
        db.session.commit()


@pytest.mark.parametrize("change", ["save", "publish", "trash", "settings", "category"])
def test_every_kind_of_change_refreshes_cached_pages(app, signed_in, content, change):
    slug = content.post("Original title", category="Science")
    reader = app.test_client()
    assert "Original title" in reader.get("/").text
    assert "Original title" in reader.get(f"/posts/{slug}").text
    post_id = 1
    if change == "save":
        _change_title(app, slug, "Edited title")
        expected, page = "Edited title", "/"
    elif change == "publish":
        draft = content.post("Fresh draft", status="draft")
        with app.app_context():
            post = db.session.scalar(select(Post).where(Post.slug == draft))
            post.published_at = utcnow()
            post.status = "published"
            db.session.commit()
        expected, page = "Fresh draft", "/"
    elif change == "trash":
        token = csrf_token(signed_in, f"/editor/posts/{post_id}/trash")
        signed_in.post(f"/editor/posts/{post_id}/trash", data={"csrf_token": token})
        assert reader.get(f"/posts/{slug}").status_code == 404
        assert "Original title" not in reader.get("/").text
        return
    elif change == "settings":
        with app.app_context():
            db.session.add(Setting(key="title", value="Renamed Gazette"))
            db.session.commit()
        expected, page = "Renamed Gazette", f"/posts/{slug}"
    else:
        from blog.models import Category

        with app.app_context():
            category = db.session.scalar(select(Category).where(Category.slug == "science"))
            category.name = "Natural Science"
            db.session.commit()
        expected, page = "Natural Science", "/"
    assert expected in reader.get(page).text


def test_scheduled_post_appears_at_its_time_through_the_cache(app, client, content, monkeypatch):
    content.post("Already out")
    slug = content.post("Embargoed", published_at=utcnow() + timedelta(hours=1))
    assert "Embargoed" not in client.get("/").text
    assert client.get(f"/posts/{slug}").status_code == 404
    assert "Embargoed" not in client.get("/").text  # a cache hit, still right
    later = utcnow() + timedelta(hours=2)
    monkeypatch.setattr("blog.posts.listings.utcnow", lambda: later)
    assert "Embargoed" in client.get("/").text
    assert client.get(f"/posts/{slug}").status_code == 200


def test_two_worker_processes_agree_through_the_stamp(app, tmp_path, content):
    """A second app on the same database and stamp stands for another gunicorn worker."""
    other = make_app(tmp_path)
    slug = content.post("Before")
    assert "Before" in app.test_client().get("/").text
    assert "Before" in other.test_client().get("/").text
    with other.app_context():  # the edit happens in the other worker
        post = db.session.scalar(select(Post).where(Post.slug == slug))
        post.title = "After"
        db.session.commit()
    assert "After" in app.test_client().get("/").text


def test_sign_in_attempts_do_not_flush_the_cache(app, client, content, page_cache, auth):
    content.post("Stable")
    client.get("/")
    auth.sign_in(password="wrong guess")
    hits = page_cache.hits
    app.test_client().get("/")
    assert page_cache.hits == hits + 1


def test_forged_host_cannot_poison_the_cache(app, client, content):
    content.post("Story")
    evil = client.get("/", base_url="http://evil.example").text
    assert "http://evil.example/" in evil
    assert "evil.example" not in client.get("/").text


def test_static_assets_are_fingerprinted_for_a_year(client):
    page = client.get("/").text
    href = next(part for part in page.split('"') if part.startswith("/static/css/site.css"))
    assert "?v=" in href
    with client.get(href) as response:
        assert response.status_code == 200
        assert "max-age=31536000" in response.headers["Cache-Control"]


def test_gzip_copy_has_its_own_etag(client, content):
    content.post("Story", body="Long enough body text. " * 40)
    plain = client.get("/")
    zipped = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert plain.headers["ETag"] != zipped.headers["ETag"]
    # Each tag revalidates its own copy only.
    gzip_tag, plain_tag = zipped.headers["ETag"], plain.headers["ETag"]
    again = client.get("/", headers={"Accept-Encoding": "gzip", "If-None-Match": gzip_tag})
    assert again.status_code == 304 and again.headers["ETag"] == gzip_tag
    assert client.get("/", headers={"If-None-Match": plain_tag}).status_code == 304
    other = client.get("/", headers={"Accept-Encoding": "gzip", "If-None-Match": plain_tag})
    assert other.status_code == 200 and other.headers["Content-Encoding"] == "gzip"


def test_a_held_stamp_keeps_no_memo(app):
    # While a restore holds the stamp the database may switch under the site: nothing
    # computed meanwhile (counts, the menu, where pages start) may be reused.
    calls = []
    with app.test_request_context():
        hold_stamp(app.config["PAGE_CACHE_STAMP"])
        for _ in range(2):
            memo_by_stamp("held", lambda: calls.append(1))
    assert len(calls) == 2
    with app.test_request_context():
        release_stamp(app.config["PAGE_CACHE_STAMP"])
        for _ in range(2):
            memo_by_stamp("released", lambda: calls.append(1))
    assert len(calls) == 3
