"""The sitemap and robots.txt, read the way crawlers read them."""

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote, urlsplit

import pytest
from sqlalchemy import select

from blog.extensions import db
from blog.models import Post, utcnow

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
# W3C Datetime (https://www.w3.org/TR/NOTE-datetime), complete with seconds.
W3C_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
MAY = datetime(2024, 5, 15, 12)


def urlset(response) -> dict[str, datetime | None]:
    """Return {loc: lastmod} of a sitemap response, checking its shape on the way."""
    assert response.status_code == 200
    assert response.content_type == "application/xml; charset=utf-8"
    root = ET.fromstring(response.data)
    assert root.tag == f"{SM}urlset"
    found = {}
    for url in root:
        assert url.tag == f"{SM}url"
        loc, lastmod = url.findtext(f"{SM}loc"), url.findtext(f"{SM}lastmod")
        assert loc not in found, loc
        found[loc] = w3c_datetime(lastmod) if lastmod is not None else None
    return found


def w3c_datetime(text: str) -> datetime:
    assert W3C_DATETIME.fullmatch(text), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def past_page_cache(app) -> None:
    """Send requests straight to the app, for tests that change what the cache would keep."""
    app.wsgi_app = getattr(app.wsgi_app, "wsgi_app", app.wsgi_app)


def path(loc: str) -> str:
    """Return the decoded path of a URL, as the app sees it."""
    return unquote(urlsplit(loc).path)


@pytest.fixture
def site(content):
    """Published posts across categories, tags, authors and months, plus hidden ones."""
    content.author("lukas", "Lukas Brandt")
    may, june = datetime(2024, 5, 15, 12), datetime(2024, 6, 20, 9)
    return {
        "rover": content.post(
            "Rover lands", category="Science", tags=["Space"], author="lukas", published_at=may
        ),
        "match": content.post(
            "Match report", category="Sport", tags=["Football", "Space"], published_at=june
        ),
        "unicode": content.post("Café Zürich", category="Science", published_at=may),
        "draft": content.post("A draft", category="Secret Desk", tags=["Hidden"], status="draft"),
        "scheduled": content.post(
            "Embargoed",
            category="Later Desk",
            tags=["Soon"],
            author="amara",
            published_at=utcnow() + timedelta(days=1),
        ),
    }


def test_sitemap_lists_home_archives_and_public_posts(client, site):
    found = urlset(client.get("/sitemap.xml"))
    assert {path(loc) for loc in found} == {
        "/",
        "/archive/",
        "/category/science",
        "/category/sport",
        "/tag/space",
        "/tag/football",
        "/author/lukas",
        "/author/editor",
        "/archive/2024/",
        "/archive/2024/5/",
        "/archive/2024/6/",
        f"/posts/{site['rover']}",
        f"/posts/{site['match']}",
        f"/posts/{site['unicode']}",
    }
    # Percent-encoded, as sitemaps.org asks; the path above is the decoded one.
    assert "http://localhost/posts/caf%C3%A9-z%C3%BCrich-" in "".join(found)
    assert all(loc.startswith("http://localhost/") for loc in found)
    assert all(lastmod is not None for lastmod in found.values())
    for loc in found:
        # As a crawler asks for it: the path as given, percent-encoded.
        assert client.get(urlsplit(loc).path).status_code == 200, loc


def test_lastmod_is_the_last_change_readers_see(app, client, site):
    """A post's is its last edit or publication; a listing's, its newest post's publication."""
    found = urlset(client.get("/sitemap.xml"))
    with app.app_context():
        posts = {p.slug: p for p in db.session.scalars(select(Post))}
    rover, match = posts[site["rover"]], posts[site["match"]]
    for post in (rover, match):
        newest = max(post.updated_at, post.published_at).replace(microsecond=0, tzinfo=UTC)
        assert found[f"http://localhost/posts/{post.slug}"] == newest
    june, may = (p.published_at.replace(tzinfo=UTC) for p in (match, rover))
    assert found["http://localhost/"] == found["http://localhost/archive/"] == june
    assert found["http://localhost/tag/space"] == june
    assert found["http://localhost/category/science"] == may
    assert found["http://localhost/author/lukas"] == may
    assert found["http://localhost/archive/2024/5/"] == may


def test_scheduled_post_enters_the_sitemap_when_due(client, site, monkeypatch):
    assert f"http://localhost/posts/{site['scheduled']}" not in urlset(client.get("/sitemap.xml"))
    later = utcnow() + timedelta(days=2)
    monkeypatch.setattr("blog.posts.listings.utcnow", lambda: later)
    found = urlset(client.get("/sitemap.xml"))
    assert f"http://localhost/posts/{site['scheduled']}" in found
    assert {"http://localhost/category/later-desk", "http://localhost/author/amara"} <= set(found)
    assert f"http://localhost/posts/{site['draft']}" not in found
    assert "http://localhost/tag/hidden" not in found


def test_empty_site_sitemap_has_the_home_page(client):
    found = urlset(client.get("/sitemap.xml"))
    # With nothing published there is no honest lastmod, and it is optional.
    assert found == {"http://localhost/": None, "http://localhost/archive/": None}


def test_sitemap_respects_base_url(app, client, site):
    app.config["BASE_URL"] = "https://news.example"
    found = urlset(client.get("/sitemap.xml"))
    assert all(loc.startswith("https://news.example/") for loc in found)
    assert f"https://news.example/posts/{site['rover']}" in found


def test_sitemap_becomes_an_index_past_the_limit(app, client, content, monkeypatch):
    past_page_cache(app)
    for n in range(12):
        content.post(
            f"Story {n}",
            category=["Science", "Sport"][n % 2],
            tags=["Space"],
            published_at=MAY - timedelta(minutes=n),
        )
    everything = urlset(client.get("/sitemap.xml"))
    # Home, archives, 2 categories, tag, author, year, month and 12 posts.
    assert len(everything) == 20
    assert client.get("/sitemap-1.xml").status_code == 404

    monkeypatch.setattr("blog.sitemap.MAX_URLS", 5)
    index = client.get("/sitemap.xml")
    assert index.status_code == 200
    assert index.content_type == "application/xml; charset=utf-8"
    root = ET.fromstring(index.data)
    assert root.tag == f"{SM}sitemapindex"
    parts = [(s.findtext(f"{SM}loc"), s.findtext(f"{SM}lastmod")) for s in root]
    assert [loc for loc, _ in parts] == [f"http://localhost/sitemap-{n}.xml" for n in range(1, 5)]
    combined = {}
    for loc, lastmod in parts:
        part = urlset(client.get(path(loc)))
        assert 1 <= len(part) <= 5
        assert w3c_datetime(lastmod) == max(part.values())
        assert not set(part) & set(combined)
        combined.update(part)
    assert combined == everything
    assert client.get("/sitemap-5.xml").status_code == 404
    assert client.get("/sitemap-0.xml").status_code == 404


@pytest.mark.parametrize("posts", [5, 50])
def test_sitemap_reads_rows_not_posts(app, client, content, count_queries, posts):
    """A fixed number of queries, none of them loading whole posts."""
    past_page_cache(app)
    for n in range(posts):
        content.post(
            category=["Science", "Sport"][n % 2],
            tags=["Space", "Mars"][: n % 2 + 1],
            published_at=MAY - timedelta(minutes=n),
        )
    response, statements = count_queries(lambda: client.get("/sitemap.xml"))
    assert len(urlset(response)) == posts + 9
    # Settings, 5 for the listings, the post count and rows; the cache's next scheduled post.
    assert len(statements) <= 9, statements
    assert not any("body_html" in statement for statement in statements)


def test_robots_txt_points_to_the_sitemap_and_keeps_out_of_the_editor(app, client):
    past_page_cache(app)
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.content_type == "text/plain; charset=utf-8"
    lines = response.text.splitlines()
    assert lines[0] == "User-agent: *"
    assert "Disallow: /editor/" in lines and "Disallow: /auth/" in lines
    assert "Sitemap: http://localhost/sitemap.xml" in lines
    app.config["BASE_URL"] = "https://news.example"
    assert "Sitemap: https://news.example/sitemap.xml" in client.get("/robots.txt").text
