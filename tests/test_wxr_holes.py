"""WordPress imports: what a file hid stays hidden, every WXR spelling reads, dates compare.

tests/data/theme-preview.xml is WordPress's own Theme Unit Test export (GPL, as WordPress),
copied as it is: https namespaces, items without <wp:post_id>.
"""

import os
import re
import stat
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import event, select, text, update

from blog.extensions import db
from blog.models import Post
from tests.helpers import post_form_data

DATA = Path(__file__).parent / "data"
THEME_PREVIEW = DATA / "theme-preview.xml"
SECRET = "zanzibarquokka"  # a word only the hidden posts hold


def wxr(items: str, wp: str = "http://wordpress.org/export/1.2/", version: str = "1.2") -> str:
    """Return a WXR file with these <item>s, its wp and excerpt namespaces under wp."""
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0"
	xmlns:excerpt="{wp}excerpt/"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:wp="{wp}"
>
<channel>
	<title>Harbour Gazette</title>
	<wp:wxr_version>{version}</wp:wxr_version>
{items}
</channel>
</rss>
"""


def item(
    title: str,
    slug: str,
    *,
    wp_id: int | None = None,
    status: str = "publish",
    password: str = "",
    date: str = "2024-05-14 07:30:00",
    body: str = "News of the harbour.",
    excerpt: str = "",
) -> str:
    post_id = f"<wp:post_id>{wp_id}</wp:post_id>" if wp_id is not None else ""
    return f"""	<item>
		<title>{title}</title>
		<content:encoded><![CDATA[{body}]]></content:encoded>
		<excerpt:encoded><![CDATA[{excerpt}]]></excerpt:encoded>
		{post_id}
		<wp:post_date><![CDATA[{date}]]></wp:post_date>
		<wp:post_date_gmt><![CDATA[{date}]]></wp:post_date_gmt>
		<wp:post_name><![CDATA[{slug}]]></wp:post_name>
		<wp:status><![CDATA[{status}]]></wp:status>
		<wp:post_type><![CDATA[post]]></wp:post_type>
		<wp:post_password><![CDATA[{password}]]></wp:post_password>
		<category domain="category" nicename="news"><![CDATA[News]]></category>
	</item>"""


def import_file(runner, path: Path, *options):
    result = runner.invoke(args=["import-wxr", str(path), *options])
    assert result.exit_code == 0, result.output
    return result.output


def statuses(app) -> dict[str, str]:
    with app.app_context():
        return dict(db.session.execute(select(Post.slug, Post.status)).all())


# 3. Private and password-protected posts ----------------------------------------------------


@pytest.fixture
def hidden_import(app, runner, tmp_path):
    """A file with a public post, a protected one, a protected scheduled one, a private one."""
    body = f"<p>Only for friends: {SECRET}.</p>"
    items = [
        item("Open news", "open-news", wp_id=1, body="<p>Harbour news for friends.</p>"),
        item("Behind a password", "behind-a-password", wp_id=2, password="friends", body=body),
        item("Later and locked", "later-locked", wp_id=3, password="x", date="2031-01-01 09:00:00"),
        item("Only mine", "only-mine", wp_id=4, status="private", body=body),
        item("A locked draft", "locked-draft", wp_id=5, status="draft", password="x"),
    ]
    path = tmp_path / "hidden.xml"
    path.write_text(wxr("\n".join(items)), encoding="utf-8")
    return import_file(runner, path)


def test_protected_and_private_posts_become_drafts_named_in_the_summary(app, hidden_import):
    assert statuses(app) == {
        "open-news": "published",
        "behind-a-password": "draft",
        "later-locked": "draft",
        "only-mine": "draft",
        "locked-draft": "draft",
    }
    lines = hidden_import.splitlines()
    assert (
        "Behind a password (behind-a-password) was password-protected in WordPress: imported "
        "as a draft, which readers cannot see." in lines
    )
    assert any(line.startswith("Later and locked (later-locked) was password-") for line in lines)
    assert any(line.startswith("Only mine (only-mine) was private in WordPress") for line in lines)
    # A draft was never public: nothing to warn about.
    assert "locked-draft" not in hidden_import


def test_protected_and_private_posts_are_nowhere_for_readers(app, client, hidden_import):
    hidden = ["behind-a-password", "later-locked", "only-mine"]
    assert client.get("/posts/open-news").status_code == 200
    for slug in hidden:
        assert client.get(f"/posts/{slug}").status_code == 404
    for query in ("?p=2", "?p=3", "?p=4"):
        assert client.get(f"/{query}").status_code == 200  # the home page, no redirect
    pages = {
        "home": client.get("/").text,
        "search": client.get("/search", query_string={"q": "friends"}).text,
        "atom": client.get("/feed.atom").text,
        "rss": client.get("/feed.rss").text,
        "category": client.get("/category/news").text,
        "sitemap": client.get("/sitemap.xml").text,
    }
    assert all("open-news" in pages[name] for name in ("search", "sitemap", "atom"))
    for name, page in pages.items():
        assert SECRET not in page, name
        for slug in hidden:
            assert slug not in page, name


# 10. export-wxr writes a private file ------------------------------------------------------


def test_export_wxr_is_readable_by_its_owner_only(app, runner, tmp_path, hidden_import):
    target = tmp_path / "out" / "site.xml"
    target.parent.mkdir()
    target.write_text("an older export")
    os.chmod(target, 0o644)
    old_umask = os.umask(0o022)
    try:
        result = runner.invoke(
            args=["export-wxr", str(target), "--base-url", "https://news.example"]
        )
    finally:
        os.umask(old_umask)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "Behind a password" in target.read_text(encoding="utf-8")
    assert [p.name for p in target.parent.iterdir()] == ["site.xml"]


def test_json_export_is_still_private(app, runner, tmp_path, hidden_import):
    target = tmp_path / "site.zip"
    old_umask = os.umask(0o022)
    try:
        result = runner.invoke(args=["export", str(target)])
    finally:
        os.umask(old_umask)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


# 11. Every namespace WordPress has written, items without ids ---------------------------------


def test_wordpress_theme_unit_test_data_imports(app, runner):
    out = import_file(runner, THEME_PREVIEW)
    assert "Imported 7 posts, 0 pages and 0 images." in out
    with app.app_context():
        posts = db.session.scalars(select(Post).order_by(Post.published_at)).all()
        found = [(p.title, p.slug, p.status, p.wp_id) for p in posts]
    assert len(found) == 7
    # No <wp:post_id>: the id is the one of its plain link (<link>https://wp-themes.com/?p=19),
    # so that the links readers have still lead to it.
    assert ("Worth A Thousand Words", "worth-a-thousand-words", "published", 19) in found
    assert sorted(wp_id for *_, wp_id in found) == [1, 4, 6, 8, 14, 19, 36]
    assert {status for _, _, status, _ in found} == {"published"}
    moved = app.test_client().get("/?p=19&utm_source=x")
    assert moved.status_code == 301
    assert moved.headers["Location"] == "/posts/worth-a-thousand-words?utm_source=x"
    # Without ids, a second import finds the posts by title and date, as WordPress does.
    again = import_file(runner, THEME_PREVIEW)
    assert "Skipped 7 posts this site imported before." in again
    assert len(statuses(app)) == 7


def test_a_site_imported_without_link_ids_imports_again_without_copies(app, runner):
    import_file(runner, THEME_PREVIEW)
    with app.app_context():
        db.session.execute(update(Post).values(wp_id=None))  # as an earlier version left it
        db.session.commit()
    again = import_file(runner, THEME_PREVIEW)
    assert "Skipped 7 posts this site imported before." in again
    assert len(statuses(app)) == 7


@pytest.mark.parametrize(
    "namespace",
    [
        "http://wordpress.org/export/1.0/",
        "http://wordpress.org/export/1.1/",
        "http://wordpress.org/export/1.2/",
        "https://wordpress.org/export/1.0/",
        "https://wordpress.org/export/1.1/",
        "https://wordpress.org/export/1.2/",
    ],
)
def test_every_wxr_namespace_reads(app, runner, tmp_path, namespace):
    version = namespace.rstrip("/").rpartition("/")[2]
    items = [
        item("With an id", "with-id", wp_id=7, excerpt="Told briefly."),
        item("Without an id", "without-id", date="2024-05-15 08:00:00"),
    ]
    path = tmp_path / "export.xml"
    path.write_text(wxr("\n".join(items), namespace, version), encoding="utf-8")
    assert "Imported 2 posts" in import_file(runner, path)
    with app.app_context():
        posts = {p.slug: p for p in db.session.scalars(select(Post))}
    assert posts["with-id"].wp_id == 7
    assert posts["with-id"].excerpt == "Told briefly."
    assert posts["without-id"].wp_id is None
    assert posts["without-id"].published_at == datetime(2024, 5, 15, 8, 0)


def test_an_unknown_namespace_is_named_in_the_refusal(app, runner, tmp_path):
    path = tmp_path / "export.xml"
    path.write_text(wxr(item("A", "a", wp_id=1), "http://wordpress.org/export/1.3/"))
    result = runner.invoke(args=["import-wxr", str(path)])
    assert result.exit_code == 1
    assert "its xmlns:wp is 'http://wordpress.org/export/1.3/'" in result.output
    assert "Nothing was changed." in result.output


# 12. Previous and next on imported posts ------------------------------------------------------

_OLDER = re.compile(r'class="older" rel="prev" href="([^"]+)"')
_NEWER = re.compile(r'class="newer" rel="next" href="([^"]+)"')


@pytest.fixture
def mixed_site(app, runner, signed_in, category_id, tmp_path):
    """Posts imported from WordPress (whole seconds) between posts saved in the editor."""
    import_file(runner, THEME_PREVIEW)
    # Two imported posts at the same second: the id decides between them.
    items = [
        item("Same second one", "same-second-one", wp_id=501, date="2008-06-10 12:00:00"),
        item("Same second two", "same-second-two", wp_id=502, date="2008-06-10 12:00:00"),
    ]
    path = tmp_path / "more.xml"
    path.write_text(wxr("\n".join(items)), encoding="utf-8")
    import_file(runner, path)
    written = {
        "Scheduled into the past": {"status": "schedule", "publish_at": "2008-06-10T12:00"},
        "Backdated too": {"status": "schedule", "publish_at": "2008-09-01T08:00"},
        "Written today": {"status": "publish"},
        "Written today too": {"status": "publish"},
    }
    for title, fields in written.items():
        url = "/editor/posts/new"
        data = post_form_data(signed_in, url, category_id, title=title, **fields)
        assert signed_in.post(url, data=data).status_code == 302
    with app.app_context():
        rows = db.session.execute(
            select(Post.slug, Post.published_at, Post.id).where(Post.status == "published")
        ).all()
    # The order readers page through: by date, then by id.
    return [slug for slug, _, _ in sorted(rows, key=lambda row: (row[1], row[2]))]


def test_previous_and_next_follow_the_dates_on_imported_posts(app, mixed_site):
    client = app.test_client()  # a reader
    assert len(mixed_site) == 13
    for number, slug in enumerate(mixed_site):
        page = client.get(f"/posts/{slug}")
        assert page.status_code == 200, slug
        older = _OLDER.search(page.text)
        newer = _NEWER.search(page.text)
        expected_older = mixed_site[number - 1] if number else None
        expected_newer = mixed_site[number + 1] if number + 1 < len(mixed_site) else None
        assert (older and older.group(1)) == (expected_older and f"/posts/{expected_older}"), slug
        assert (newer and newer.group(1)) == (expected_newer and f"/posts/{expected_newer}"), slug


@pytest.mark.sqlite_only("SQLite keeps dates as text; PostgreSQL has a timestamp type")
def test_every_stored_date_has_one_text_form(app, mixed_site):
    with app.app_context():
        rows = db.session.execute(
            text("SELECT published_at, created_at, updated_at FROM posts")
        ).all()
    values = {value for row in rows for value in row if value is not None}
    assert values
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", v) for v in values), values


@pytest.mark.sqlite_only("SQLite's driver turns an untyped date into its own text")
def test_public_pages_send_sqlite_no_untyped_dates(app, mixed_site):
    """A date that reaches the driver as a datetime compares as text unlike the stored one."""
    client = app.test_client()
    sent = []

    def before(conn, cursor, statement, parameters, context, executemany):
        rows = parameters if executemany else [parameters]
        for row in rows:
            values = row.values() if isinstance(row, dict) else row
            sent.extend((statement, v) for v in values if isinstance(v, datetime))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        for path in [
            *(f"/posts/{slug}" for slug in mixed_site),
            "/",
            "/archive/",
            "/archive/2008/",
            "/archive/2008/6/",
            "/category/uncategorized",
            "/feed.atom",
            "/sitemap.xml",
            "/search?q=boat",
        ]:
            assert client.get(path).status_code in (200, 404), path
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert sent == []
