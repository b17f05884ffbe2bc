"""Failures on the server lose nothing: a full disk, a database out of reach, a full media disk.

Every failure here is real: SQLite's max_page_count makes the database file full, a
PostgreSQL URL on a closed local port refuses connections (psycopg), and a stored image
written to /dev/full gets the kernel's own ENOSPC.
"""

import errno
import html
import io
import itertools
import logging
import socket
import sqlite3
from types import SimpleNamespace

import psycopg
import pytest
from PIL import Image
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from blog import failures
from blog.extensions import db
from blog.failures import BurstLog, FailureKind
from blog.models import Category, Media, Post
from tests.conftest import make_app, postgres
from tests.helpers import csrf_token, post_form_data

DISK_FULL = "The disk is full: nothing was saved. Your text is below; copy it or try again."
DATABASE_DOWN = (
    "The database cannot be reached: nothing was saved. Your text is below; copy it or try again."
)
BODY = "My long *story*, typed for an hour.\n\n" + "Every word of it matters. " * 4000


def closed_port() -> int:
    """Return a local port nothing listens on (bound, then closed at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unreachable_url() -> str:
    return f"postgresql+psycopg://blog:secret@127.0.0.1:{closed_port()}/blog"


def fill_the_disk(app) -> None:
    """Let the SQLite file grow by no page more: the next write fails "disk is full"."""
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def no_more_pages(dbapi_connection, connection_record):
        cursor = dbapi_connection.cursor()
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()

    engine.dispose()  # connections opened from now on have the limit


def down_client(app, tmp_path, client):
    """Return a client of the same site whose database is unreachable, signed in as client."""
    down = make_app(tmp_path, DATABASE_URL=unreachable_url())
    other = down.test_client()
    for cookie in client._cookies.values():
        other.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    return down, other


def assert_form_as_typed(response, title: str, body: str) -> None:
    text = html.unescape(response.text)
    assert f'value="{title}"' in text
    assert body.strip() in text
    assert 'name="csrf_token"' in response.text  # Save works again once the failure is over


@pytest.mark.sqlite_only("max_page_count fills a SQLite file")
@pytest.mark.parametrize("existing", [False, True], ids=["new", "edit"])
def test_post_form_keeps_the_text_when_the_disk_is_full(
    app, signed_in, content, category_id, existing
):
    url = "/editor/posts/new"
    if existing:
        slug = content.post("Old title", body="Old body.")
        with app.app_context():
            post_id = db.session.scalar(select(Post.id).where(Post.slug == slug))
        url = f"/editor/posts/{post_id}"
    data = post_form_data(signed_in, url, category_id, title="Typed title", body=BODY)
    fill_the_disk(app)

    response = signed_in.post(url, data=data)

    assert response.status_code == 503
    assert DISK_FULL in html.unescape(response.text)
    assert_form_as_typed(response, "Typed title", BODY)
    assert "Traceback" not in response.text
    with app.app_context():
        titles = db.session.scalars(select(Post.title)).all()
    assert "Typed title" not in titles


def test_readers_get_503_with_retry_after_while_the_database_is_unreachable(tmp_path):
    app = make_app(tmp_path, DATABASE_URL=unreachable_url())
    client = app.test_client()
    for path in ("/", "/posts/some-post", "/category/world-news", "/search?q=news", "/archive/"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.headers["Retry-After"] == "30"
        assert "briefly unavailable" in response.text
        assert "My Blog" in response.text  # the site's own page, from its config
        assert "Internal Server Error" not in response.text


def test_a_signed_in_editor_keeps_the_text_while_the_database_is_unreachable(
    app, tmp_path, signed_in, category_id
):
    data = post_form_data(signed_in, "/editor/posts/new", category_id, title="Typed", body=BODY)
    _, client = down_client(app, tmp_path, signed_in)

    response = client.post("/editor/posts/new", data=data)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert DATABASE_DOWN in html.unescape(response.text)
    assert_form_as_typed(response, "Typed", BODY)

    # Readers' pages fail alike for the signed-in editor, whose account cannot be read.
    page = client.get("/")
    assert page.status_code == 503 and "briefly unavailable" in page.text


def test_other_editor_posts_show_the_text_that_was_sent(app, tmp_path, signed_in):
    token = csrf_token(signed_in, "/editor/categories/")
    _, client = down_client(app, tmp_path, signed_in)
    response = client.post(
        "/editor/categories/",
        data={"csrf_token": token, "name": "Science", "description": "Typed description"},
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    text = html.unescape(response.text)
    assert "nothing was saved. Your text is below" in text
    assert ">Typed description</textarea>" in text and ">Science</textarea>" in text
    assert token not in response.text

    secret = "my new secret password"
    response = client.post(
        "/editor/profile/password",
        data={
            "csrf_token": token,
            "current_password": secret,
            "new_password": secret,
            "confirm": secret,
        },
    )
    assert response.status_code == 503
    assert secret not in response.text and token not in response.text


@pytest.mark.skipif(postgres is None, reason="PostgreSQL itself refuses the connections")
def test_postgres_refusing_connections_loses_nothing(app, tmp_path, signed_in, category_id):
    data = post_form_data(signed_in, "/editor/posts/new", category_id, title="Typed", body=BODY)
    database = postgres.name_of(tmp_path)
    # As during maintenance: the server is up but lets no one into this database.
    postgres.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
    try:
        refused = signed_in.post("/editor/posts/new", data=data)
        page = signed_in.get("/")
    finally:
        postgres.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "30"
    assert DATABASE_DOWN in html.unescape(refused.text)
    assert_form_as_typed(refused, "Typed", BODY)
    assert page.status_code == 503 and "briefly unavailable" in page.text
    # The database is back: the same form, sent again, saves.
    assert signed_in.post("/editor/posts/new", data=data).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Post.body_source).filter_by(title="Typed")) == BODY


@pytest.mark.sqlite_only("max_page_count fills a SQLite file")
def test_any_editor_post_on_a_full_disk_shows_its_text(app, signed_in):
    token = csrf_token(signed_in, "/editor/categories/")
    fill_the_disk(app)
    with app.app_context():
        # A category this size still fits the categories' last page: fill it up first.
        for n in itertools.count():
            db.session.add(Category(name=f"Filler {n}", slug=f"filler-{n}", description="x" * 1900))
            try:
                db.session.commit()
            except OperationalError:
                db.session.rollback()
                break
    response = signed_in.post(
        "/editor/categories/",
        data={"csrf_token": token, "name": "Science", "description": "Long " * 400},
    )
    assert response.status_code == 503
    assert "The disk is full: nothing was saved. Your text is below" in response.text
    assert "Long " * 400 in response.text
    with app.app_context():
        assert db.session.scalar(select(Category).filter_by(name="Science")) is None


def png(name="photo.png") -> tuple[io.BytesIO, str]:
    data = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(data, "PNG")
    data.seek(0)
    return data, name


@pytest.fixture
def full_media_disk(app, monkeypatch, tmp_path):
    """Make the next stored image land on /dev/full, where every write fails with ENOSPC."""
    stem = "ab" * 12
    # Only the random part of the name is fixed, so that the test knows where the file goes.
    monkeypatch.setattr("blog.media.secrets", SimpleNamespace(token_hex=lambda n: stem))
    folder = tmp_path / "media"
    folder.mkdir(exist_ok=True)
    (folder / f"{stem}.png").symlink_to("/dev/full")


def test_an_upload_on_a_full_disk_says_so(app, signed_in, full_media_disk, caplog):
    token = csrf_token(signed_in, "/editor/media/")
    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        response = signed_in.post(
            "/editor/media/",
            data={"csrf_token": token, "images": [png()]},
            content_type="multipart/form-data",
        )
    # The reason in one line, no traceback: every upload fails alike until space is made.
    stored = [r for r in caplog.records if "could not store an upload" in r.getMessage()]
    assert len(stored) == 1 and stored[0].exc_info is None
    assert "No space left on device" in stored[0].getMessage()
    assert response.status_code == 503
    assert "The disk is full: nothing was saved." in response.text
    assert "please try another file" not in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Media.id))) == 0


def test_a_post_with_an_image_on_a_full_disk_keeps_the_text(
    app, signed_in, category_id, full_media_disk
):
    data = post_form_data(
        signed_in, "/editor/posts/new", category_id, title="With picture", body=BODY
    )
    data.update(image=png(), image_alt="A teal square")
    response = signed_in.post("/editor/posts/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 503
    assert DISK_FULL in html.unescape(response.text)
    assert_form_as_typed(response, "With picture", BODY)
    assert "“photo.png” was not kept: choose the file again." in response.text


def test_a_burst_of_failures_is_one_line_in_the_log(tmp_path, caplog):
    app = make_app(tmp_path, DATABASE_URL=unreachable_url())
    log = app.extensions["failure_log"]
    now = [1000.0]
    log.clock = lambda: now[0]
    client = app.test_client()

    with caplog.at_level(logging.INFO, logger=app.logger.name):
        for _ in range(50):
            assert client.get("/").status_code == 503
            now[0] += 0.1
    records = [r for r in caplog.records if r.name == app.logger.name]
    assert len(records) == 1, [r.getMessage() for r in records]
    assert records[0].exc_info is None  # one line, no traceback
    line = records[0].getMessage()
    assert "database unreachable" in line and "Connection refused" in line
    assert "\n" not in line

    # Quiet for long enough, the burst is over: the next request logs its count.
    caplog.clear()
    now[0] += 60
    with caplog.at_level(logging.INFO, logger=app.logger.name):
        # A page that needs no database (any /a/b/ may be an old WordPress permalink: looked up).
        assert client.get("/no/such/page.html").status_code == 404
    [summary] = [r.getMessage() for r in caplog.records if r.name == app.logger.name]
    assert "database unreachable: 49 more failures" in summary


def test_a_long_burst_is_summarised_now_and_then():
    logger = logging.getLogger("test_burst")
    lines = []
    logger.addHandler(handler := logging.Handler())
    handler.emit = lambda record: lines.append(record.getMessage())
    now = [0.0]
    log = BurstLog(logger, quiet=10, every=60, clock=lambda: now[0])
    try:
        for _ in range(130):  # two minutes of a failure every second
            log.record("database unreachable", "database unreachable (503): refused")
            now[0] += 1
    finally:
        logger.removeHandler(handler)
    assert len(lines) == 3
    assert "still failing" in lines[1] and "still failing" in lines[2]


def test_failures_are_told_apart(tmp_path):
    with pytest.raises(OSError) as no_space, open("/dev/full", "wb") as full:
        full.write(b"x")
    assert no_space.value.errno == errno.ENOSPC
    assert failures.classify(no_space.value).kind is FailureKind.DISK_FULL

    connection = sqlite3.connect(tmp_path / "full.sqlite")
    connection.execute("CREATE TABLE t (x)")
    connection.execute("PRAGMA max_page_count = 2")
    with pytest.raises(sqlite3.OperationalError) as sqlite_full:
        connection.execute("INSERT INTO t VALUES (?)", ("x" * 100_000,))
    connection.close()
    assert failures.classify(sqlite_full.value).kind is FailureKind.DISK_FULL

    with pytest.raises(psycopg.OperationalError) as refused:
        psycopg.connect(host="127.0.0.1", port=closed_port(), connect_timeout=2)
    assert failures.classify(refused.value).kind is FailureKind.DATABASE_DOWN

    with pytest.raises(sqlite3.OperationalError) as bug:
        sqlite3.connect(":memory:").execute("SELECT * FROM no_such_table")
    assert failures.classify(bug.value).kind is FailureKind.UNEXPECTED
    assert failures.classify(ValueError("x")).kind is FailureKind.UNEXPECTED


def page_form_data(client, url: str, **fields) -> dict:
    from tests.test_pages import page_data

    return page_data(client, url, **fields)


@pytest.mark.sqlite_only("max_page_count fills a SQLite file")
def test_page_form_keeps_the_text_when_the_disk_is_full(app, signed_in):
    data = page_form_data(signed_in, "/editor/pages/new", title="Typed page", body=BODY)
    fill_the_disk(app)
    response = signed_in.post("/editor/pages/new", data=data)
    assert response.status_code == 503
    assert DISK_FULL in html.unescape(response.text)
    assert_form_as_typed(response, "Typed page", BODY)
    assert 'action="/editor/pages/new"' in response.text  # the page form itself


def test_page_form_keeps_the_text_while_the_database_is_unreachable(app, tmp_path, signed_in):
    data = page_form_data(signed_in, "/editor/pages/new", title="Typed page", body=BODY)
    _, client = down_client(app, tmp_path, signed_in)
    response = client.post("/editor/pages/new", data=data)
    assert response.status_code == 503
    assert DATABASE_DOWN in html.unescape(response.text)
    assert_form_as_typed(response, "Typed page", BODY)


def test_a_page_with_an_image_on_a_full_disk_keeps_the_text(app, signed_in, full_media_disk):
    data = page_form_data(signed_in, "/editor/pages/new", title="With picture", body=BODY)
    data.update(image=png(), image_alt="A teal square")
    response = signed_in.post("/editor/pages/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 503
    assert_form_as_typed(response, "With picture", BODY)
    assert "“photo.png” was not kept: choose the file again." in response.text
