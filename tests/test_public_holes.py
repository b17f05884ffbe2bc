"""Holes on the public side: unpublished archives, page numbers, ranges, hosts, static text."""

import gzip
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from blog.cache import PageCacheMiddleware
from blog.extensions import db
from blog.models import Category, OldSlug, Tag, utcnow
from blog.redirects import remember_slug
from tests.conftest import make_app, postgres
from tests.test_serve import fetch as serve_fetch
from tests.test_serve import make_serve

# Archives


def _draft_only(content) -> None:
    """A category, a tag and an author whose posts are all unpublished, beside a public post."""
    content.post("Out now", category="World News", tags=["Weather"], author="editor")
    content.author("ghost", "Ghost Writer")
    content.post("Secret", category="Merger", tags=["Acme Deal"], author="ghost", status="draft")
    later = utcnow() + timedelta(days=3)
    content.post("Soon", category="Merger", tags=["Acme Deal"], author="ghost", published_at=later)
    content.post("Gone", category="Merger", tags=["Acme Deal"], author="ghost", status="trash")


# Each archive-like address: (its form for the unpublished archive, for an unknown one).
ARCHIVE_URLS = [
    ("/category/{c}", "category"),
    ("/category/{c}/feed.atom", "category"),
    ("/category/{c}/feed.rss", "category"),
    ("/category/{c}/page/2/", "category"),
    ("/tag/{t}", "tag"),
    ("/tag/{t}/feed.atom", "tag"),
    ("/tag/{t}/feed.rss", "tag"),
    ("/tag/{t}/page/2/", "tag"),
    ("/author/{a}", "author"),
    ("/author/{a}/feed.atom", "author"),
    ("/author/{a}/feed.rss", "author"),
    ("/author/{a}/page/2/", "author"),
]


@pytest.mark.parametrize("pattern, kind", ARCHIVE_URLS)
def test_an_archive_with_no_public_post_is_the_same_404_as_an_unknown_one(
    client, content, pattern, kind
):
    _draft_only(content)
    public = client.get(pattern.format(c="world-news", t="weather", a="editor"))
    assert public.status_code in (200, 301), public.status_code  # /page/2/ redirects
    unpublished = client.get(pattern.format(c="merger", t="acme-deal", a="ghost"))
    unknown = client.get(pattern.format(c="no-such", t="no-such", a="no-such"))
    assert unpublished.status_code == unknown.status_code == 404
    assert unpublished.data == unknown.data
    assert unpublished.headers.get("Content-Type") == unknown.headers.get("Content-Type")


@pytest.mark.parametrize(
    "url", ["/category/merger/feed/", "/tag/acme-deal/feed/", "/author/ghost/feed/"]
)
def test_wordpress_feed_addresses_end_in_the_same_404(client, content, url):
    _draft_only(content)
    unknown = url.replace("merger", "no-such").replace("acme-deal", "no-such")
    unknown = unknown.replace("ghost", "no-such")
    for address in (url, unknown):
        response = client.get(address, follow_redirects=True)
        assert response.status_code == 404, address
    assert (
        client.get(url, follow_redirects=True).data
        == client.get(unknown, follow_redirects=True).data
    )


def test_an_empty_category_is_no_page_either(app, client, content):
    content.post(category="World News")
    with app.app_context():
        db.session.add(Category(name="Coming Soon", slug="coming-soon"))
        db.session.commit()
    assert client.get("/category/coming-soon").status_code == 404
    assert client.get("/category/coming-soon/feed.atom").status_code == 404


def test_the_menu_lists_only_categories_with_a_public_post(client, content):
    _draft_only(content)
    page = client.get("/").text
    menu = page.split('aria-label="Categories"')[1].split("</nav>")[0]
    assert "World News" in menu and "Merger" not in menu and "/category/merger" not in page


def test_a_scheduled_post_opens_its_archive_once_due_not_before(app, client, content):
    content.post(category="World News")
    content.post("Soon", category="Launch", tags=["Rocket"], published_at=utcnow())
    later = utcnow() + timedelta(days=1)
    content.post("Later", category="Later Desk", published_at=later)
    assert client.get("/category/launch").status_code == 200
    assert client.get("/tag/rocket/feed.rss").status_code == 200
    assert client.get("/category/later-desk").status_code == 404


def test_an_old_slug_of_an_unpublished_archive_does_not_name_the_new_one(app, client, content):
    _draft_only(content)
    with app.app_context():
        category = db.session.scalar(select(Category).where(Category.slug == "merger"))
        tag = db.session.scalar(select(Tag).where(Tag.slug == "acme-deal"))
        remember_slug("category", category.id, "old-merger")
        remember_slug("tag", tag.id, "old-deal")
        db.session.commit()
        assert len(db.session.scalars(select(OldSlug)).all()) == 2
    unknown = client.get("/category/never-was")
    for url in ["/category/old-merger", "/tag/old-deal", "/category/old-merger/feed.atom"]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.data == unknown.data


# Page numbers

PAGED = ["/", "/category/world-news", "/tag/weather", "/author/editor", "/search?q=news"]


@pytest.mark.parametrize("listing", PAGED)
@pytest.mark.parametrize("page", ["abc", "0", "-1", str(10**20), " 2", "02", "+2", "", "2.0", "²"])
def test_a_page_number_that_names_no_page_is_a_404(client, content, listing, page):
    content.post("News of the day", category="World News", tags=["Weather"])
    joiner = "&" if "?" in listing else "?"
    assert client.get(listing).status_code == 200
    assert client.get(f"{listing}{joiner}page=1").status_code == 200
    response = client.get(listing, query_string={"page": page}) if "?" not in listing else None
    if response is None:
        response = client.get("/search", query_string={"q": "news", "page": page})
    assert response.status_code == 404, (listing, page)


def test_year_and_month_archives_parse_pages_alike(client, content):
    content.post(published_at=utcnow().replace(year=2024, month=4, day=15))
    assert client.get("/archive/2024/?page=1").status_code == 200
    for page in ["abc", "0", str(10**20), " 2"]:
        assert client.get("/archive/2024/", query_string={"page": page}).status_code == 404
        assert client.get("/archive/2024/4/", query_string={"page": page}).status_code == 404


def test_search_without_words_refuses_an_odd_page_too(client):
    assert client.get("/search").status_code == 200
    assert client.get("/search?page=abc").status_code == 404


# Ranges on /media/

MEDIA_NAME = "a" * 24 + ".jpg"


def fetch(client, url: str, method: str = "GET", **headers):
    """Send a request for a file and close the response, as a server does once it is sent."""
    response = client.open(url, method=method, headers=headers)
    response.get_data()  # read, and kept for the test
    response.close()
    return response


@pytest.fixture
def stored(app):
    """An uploaded file of 1000 bytes under a name save_upload could have made."""
    folder = Path(app.config["MEDIA_FOLDER"])
    folder.mkdir(parents=True)
    data = bytes(range(250)) * 4
    (folder / MEDIA_NAME).write_bytes(data)
    return data


@pytest.mark.parametrize(
    "header", ["bytes=abc", "bytes=5-2", "items=0-1", "bytes=0-1,3-4", "bytes", "bytes=1-x"]
)
def test_an_invalid_range_is_ignored(client, stored, header):
    response = fetch(client, f"/media/{MEDIA_NAME}", Range=header)
    assert response.status_code == 200
    assert response.data == stored and "Content-Range" not in response.headers


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0"])
def test_an_unsatisfiable_range_is_a_416_that_gives_the_length(client, stored, header):
    response = fetch(client, f"/media/{MEDIA_NAME}", Range=header)
    assert response.status_code == 416
    assert response.headers["Content-Range"] == "bytes */1000"
    assert "immutable" not in response.headers.get("Cache-Control", "")


def test_a_valid_range_still_gets_its_bytes(client, stored):
    response = fetch(client, f"/media/{MEDIA_NAME}", Range="bytes=10-19")
    assert response.status_code == 206 and response.data == stored[10:20]
    assert response.headers["Content-Range"] == "bytes 10-19/1000"
    tail = fetch(client, f"/media/{MEDIA_NAME}", Range="bytes=-5")
    assert tail.status_code == 206 and tail.data == stored[-5:]
    etag = response.headers["ETag"]
    assert fetch(client, f"/media/{MEDIA_NAME}", **{"If-None-Match": etag}).status_code == 304


# Static text, compressed

CSS = "/static/css/site.css"


def test_static_text_is_sent_gzipped_to_who_accepts_it(app, client):
    source = (Path(app.static_folder) / "css" / "site.css").read_bytes()
    plain = fetch(client, CSS)
    zipped = fetch(client, CSS, **{"Accept-Encoding": "gzip, deflate, br"})
    assert plain.status_code == zipped.status_code == 200
    assert "Content-Encoding" not in plain.headers and plain.data == source
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == source
    assert int(zipped.headers["Content-Length"]) == len(zipped.data) < len(source) / 3
    for response in (plain, zipped):
        assert "Accept-Encoding" in response.headers["Vary"]
        assert response.headers["Content-Type"] == "text/css; charset=utf-8"
        assert "max-age=31536000" in response.headers["Cache-Control"]
    assert plain.headers["ETag"] != zipped.headers["ETag"]
    refused = fetch(client, CSS, **{"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers


def test_compressed_static_text_answers_conditions_and_ranges(client):
    zipped = fetch(client, CSS, **{"Accept-Encoding": "gzip"})
    etag = zipped.headers["ETag"]
    again = fetch(client, CSS, **{"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304
    # The gzip form's validator never matches the plain form.
    assert fetch(client, CSS, **{"If-None-Match": etag}).status_code == 200
    part = fetch(client, CSS, **{"Accept-Encoding": "gzip", "Range": "bytes=0-99"})
    assert part.status_code == 206 and part.data == zipped.data[:100]
    assert part.headers["Content-Range"] == f"bytes 0-99/{len(zipped.data)}"
    head = fetch(client, CSS, "HEAD", **{"Accept-Encoding": "gzip"})
    assert head.headers["Content-Length"] == str(len(zipped.data)) and head.data == b""


def test_static_text_is_compressed_once_per_version(app, client, monkeypatch):
    from blog.public import files

    calls = []
    real = gzip.compress
    monkeypatch.setattr(gzip, "compress", lambda *a, **k: calls.append(1) or real(*a, **k))
    files._gzipped.clear()
    for _ in range(3):
        fetch(client, CSS, **{"Accept-Encoding": "gzip"})
    assert len(calls) == 1


def test_missing_static_files_are_still_a_404(client):
    assert (
        client.get("/static/css/none.css", headers={"Accept-Encoding": "gzip"}).status_code == 404
    )
    assert client.get("/static/../blog/__init__.py").status_code == 404


# Hosts


@pytest.fixture
def site(tmp_path, migrated_database):
    """Build an app over a copy of the migrated database, with these settings."""
    shutil.copyfile(migrated_database, tmp_path / "blog.sqlite")
    made = []

    def build(**config):
        made.append(make_app(tmp_path, **config))
        return made[-1]

    yield build
    for app in made:
        with app.app_context():
            db.engine.dispose()
    if postgres is not None:
        postgres.drop_folder(tmp_path)


def page_cache(app) -> PageCacheMiddleware:
    cache = app.wsgi_app
    while not isinstance(cache, PageCacheMiddleware):
        cache = getattr(cache, "wsgi_app", None) or cache.app  # ProxyFix: .app
    return cache


def test_make_serve_without_settings_answers_only_its_own_address(site):
    app = site(SERVE_ADDRESS="127.0.0.1:8000")
    client = app.test_client()
    for forged in ["http://evil.example", "http://evil.example:8000", "http://127.0.0.2:8000"]:
        response = client.get("/", base_url=forged)
        assert response.status_code == 400, forged
        assert response.text == "Bad request: this site does not answer to that host name.\n"
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert client.get("/robots.txt", base_url="http://evil.example").status_code == 400
    assert client.get("/feed.atom", headers={"Host": "evil.example"}).status_code == 400
    assert page_cache(app).entries == {}
    page = client.get("/", base_url="http://127.0.0.1:8000")
    assert page.status_code == 200
    assert '<link rel="canonical" href="http://127.0.0.1:8000/">' in page.text
    assert list(page_cache(app).entries) == ["http://127.0.0.1:8000/?"]
    assert client.get("/", base_url="http://localhost:8000").status_code == 200


def test_base_url_names_the_one_host_in_production(site):
    app = site(SERVE_ADDRESS="127.0.0.1:8000", BASE_URL="https://news.example")
    client = app.test_client()
    for forged in ["http://evil.example", "http://127.0.0.1:8000", "https://news.example.evil"]:
        assert client.get("/sitemap.xml", base_url=forged).status_code == 400, forged
    assert page_cache(app).entries == {}
    robots = client.get("/robots.txt", base_url="https://news.example")
    assert robots.status_code == 200
    assert "Sitemap: https://news.example/sitemap.xml" in robots.text


def test_behind_a_proxy_the_forwarded_host_is_checked(site):
    app = site(SERVE_ADDRESS="127.0.0.1:8000", BASE_URL="https://news.example", TRUSTED_PROXIES=1)
    client = app.test_client()
    forged = client.get("/", headers={"X-Forwarded-Host": "evil.example"})
    assert forged.status_code == 400 and page_cache(app).entries == {}
    real = client.get("/", headers={"X-Forwarded-Host": "news.example"})
    assert real.status_code == 200


def test_trusted_hosts_and_base_url_add_up(site):
    app = site(
        SERVE_ADDRESS="127.0.0.1:8000",
        BASE_URL="https://news.example",
        TRUSTED_HOSTS=["www.news.example"],
    )
    client = app.test_client()
    assert client.get("/", base_url="https://news.example").status_code == 200
    assert client.get("/", base_url="https://www.news.example").status_code == 200
    assert client.get("/", base_url="https://evil.example").status_code == 400


def test_make_run_stays_permissive(site):
    app = site(BASE_URL="")
    client = app.test_client()
    for host in ["http://127.0.0.1:5000", "http://laptop.local:5000", "http://localhost"]:
        assert client.get("/", base_url=host).status_code == 200
    assert isinstance(app.wsgi_app, PageCacheMiddleware)  # nothing in front of the cache


@pytest.mark.parametrize(
    "config, line",
    [
        (
            {"SERVE_ADDRESS": "127.0.0.1:8000"},
            "Answering requests for 127.0.0.1, localhost only: set "
            "BLOG_BASE_URL=https://your.site (or BLOG_TRUSTED_HOSTS='[\"your.site\"]') "
            "to serve the public address.",
        ),
        (
            {"SERVE_ADDRESS": "127.0.0.1:8000", "BASE_URL": "https://news.example/blog"},
            "Answering requests for news.example only (BLOG_BASE_URL, BLOG_TRUSTED_HOSTS).",
        ),
        ({}, None),
    ],
)
def test_setup_under_make_serve_says_which_hosts_it_answers(site, config, line):
    result = site(**config).test_cli_runner().invoke(args=["setup"])
    assert result.exit_code == 0, result.output
    if line is None:
        assert "Answering requests" not in result.output
    else:
        assert line in result.output.splitlines()
    # The one-time link is on the one address that answers.
    link_root = config.get("BASE_URL") or "http://127.0.0.1:5000"
    assert f"    {link_root}/auth/welcome/" in result.output


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.sqlite_only("make serve runs on its own SQLite instance")
def test_make_serve_refuses_a_forged_host_and_says_whom_it_answers(tmp_path):
    with make_serve(tmp_path / "instance") as (url, output):
        status, _, body = serve_fetch(url + "/", headers={"Host": "evil.example"})
        assert status == 400 and "does not answer to that host" in body
        status, _, home = serve_fetch(url + "/")
        assert status == 200 and f'<link rel="canonical" href="{url}/">' in home
    assert "Answering requests for 127.0.0.1, localhost only" in output["stdout"]
