"""Several app servers over one PostgreSQL (BLOG_CONTENT_STAMP=database): their page caches
agree through the database, so a change made through one is shown by the others."""

import time

import pytest
from sqlalchemy import select, update

from blog.extensions import db
from blog.models import Post
from tests.conftest import Content, make_app, postgres

postgres_only = pytest.mark.skipif(postgres is None, reason="PostgreSQL only: LISTEN/NOTIFY")


def listening(app, timeout: float = 10.0) -> int:
    """Wait until the app's workers know the stamp (their listener is connected)."""
    stamp = app.extensions["content_stamp"]
    stamp.read()
    deadline = time.monotonic() + timeout
    while stamp.value is None:
        assert time.monotonic() < deadline, "the listener never connected"
        time.sleep(0.01)
    return stamp.value


def changed(app, before: int, timeout: float = 5.0) -> float:
    """Wait for the app to hear of a change after stamp `before`; return how long it took."""
    stamp, started = app.extensions["content_stamp"], time.monotonic()
    while (stamp.value or 0) <= before:
        assert time.monotonic() - started < timeout, "the change was never announced"
        time.sleep(0.0005)
    return time.monotonic() - started


@pytest.fixture
def two_servers(tmp_path, app):
    """Two apps (two machines' worth: own instance folders) over the test's one database."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    sites = [
        make_app(
            tmp_path / name,
            DATABASE_URL=url,
            CONTENT_STAMP="database",
            PAGE_CACHE_STAMP=str(tmp_path / name / "content.stamp"),
        )
        for name in ("a", "b")
    ]
    yield sites
    for site in sites:
        site.extensions["content_stamp"].close()
        with site.app_context():
            db.engine.dispose()


@postgres_only
def test_a_post_published_through_one_server_is_shown_by_the_other(two_servers):
    a, b = two_servers
    stamp = max(listening(a), listening(b))
    reader = b.test_client()
    page = reader.get("/").get_data(as_text=True)
    assert reader.get("/").get_data(as_text=True) == page  # cached now
    cache = b.wsgi_app
    hits = cache.hits

    Content(a).post("Published on server A")
    delay = changed(b, stamp)

    page = reader.get("/").get_data(as_text=True)
    assert "Published on server A" in page
    assert cache.hits == hits  # rendered anew, not served from memory
    print(f"server B heard of the change {delay * 1000:.2f} ms after A's commit")


@postgres_only
def test_an_unpublished_post_is_gone_from_the_other_server(two_servers):
    a, b = two_servers
    slug = Content(a).post("Soon withdrawn")
    stamp = max(listening(a), listening(b))
    reader = a.test_client()
    home = reader.get("/").get_data(as_text=True)
    assert "Soon withdrawn" in home

    with b.app_context():
        db.session.execute(update(Post).where(Post.slug == slug).values(status="draft"))
        db.session.commit()
    changed(a, stamp)

    assert "Soon withdrawn" not in reader.get("/").get_data(as_text=True)


@postgres_only
def test_a_commit_without_public_content_leaves_the_stamp(two_servers):
    a, b = two_servers
    stamp = listening(b)
    with a.app_context():
        db.session.scalars(select(Post)).all()
        db.session.commit()
    time.sleep(0.2)
    assert b.extensions["content_stamp"].value == stamp


@postgres_only
def test_a_lost_listener_serves_nothing_from_memory(two_servers):
    _, b = two_servers
    listening(b)
    reader = b.test_client()
    reader.get("/")
    b.extensions["content_stamp"].close()
    deadline = time.monotonic() + 5
    while b.extensions["content_stamp"].value is not None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    hits = b.wsgi_app.hits
    reader.get("/")
    reader.get("/")
    assert b.wsgi_app.hits == hits


@pytest.mark.skipif(postgres is not None, reason="SQLite: the setting is refused")
def test_the_database_stamp_is_refused_on_sqlite(tmp_path):
    with pytest.raises(ValueError, match="needs PostgreSQL"):
        make_app(tmp_path, CONTENT_STAMP="database")
