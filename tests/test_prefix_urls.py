"""Absolute URLs and site paths, at the host's root and mounted under a prefix (SCRIPT_NAME).

BASE_URL, when set, is the public address of the site's root, prefix included: absolute URLs
are it plus the path after the script root, never the prefix twice.
"""

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest

from tests.test_feeds import A
from tests.test_metadata import Head
from tests.test_sitemap import SM, past_page_cache, urlset

# (where the test client mounts the app, BASE_URL, the site's public root)
MOUNTS = [
    ("http://localhost/", "", "http://localhost"),
    ("http://localhost/blog/", "", "http://localhost/blog"),
    ("http://localhost/", "https://news.example/", "https://news.example"),
    ("http://localhost/blog/", "https://example.org/blog", "https://example.org/blog"),
]


@pytest.fixture(params=MOUNTS, ids=["root", "prefix", "base-url", "base-url-and-prefix"])
def site(request, app, content):
    """Return get(path) for the mounted site, its public root, and a post's slug."""
    mount, base_url, root = request.param
    app.config["BASE_URL"] = base_url
    prefix = urlsplit(mount).path.rstrip("/")
    # A body links the way the editor's media page shows a file: from the host's root.
    slug = content.post(
        "Mounted",
        category="Science",
        body=f"[other]({prefix}/posts/other) ![a]({prefix}/media/a.jpg)",
    )
    client = app.test_client()

    def get(path: str):
        response = client.get(path, base_url=mount)
        assert response.status_code == 200, path
        return response

    return get, root, slug


def test_page_metadata_is_under_the_sites_root(site):
    get, root, slug = site
    home = Head(get("/").text)
    assert home.links["canonical"] == [f"{root}/"] and home.meta["og:url"] == [f"{root}/"]
    page = Head(get(f"/posts/{slug}?utm_source=x").text)
    url = f"{root}/posts/{slug}"
    assert page.links["canonical"] == [url] and page.meta["og:url"] == [url]
    assert page.meta["article:author"] == [f"{root}/author/editor"]
    (ld,) = page.json_ld
    assert ld["url"] == ld["mainEntityOfPage"] == url
    assert ld["author"]["url"] == f"{root}/author/editor"


def test_feeds_link_under_the_sites_root(site):
    get, root, slug = site
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(root))
    prefix = urlsplit(root).path
    feed = ET.fromstring(get("/category/science/feed.atom").data)
    assert feed.findtext(f"{A}id") == f"{root}/category/science/feed.atom"
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{A}link")}
    assert links == {
        "self": f"{root}/category/science/feed.atom",
        "alternate": f"{root}/category/science",
    }
    entry = feed.find(f"{A}entry")
    assert entry.find(f"{A}link").get("href") == f"{root}/posts/{slug}"
    assert entry.findtext(f"{A}author/{A}uri") == f"{root}/author/editor"
    body = entry.findtext(f"{A}content")
    assert f'href="{origin}{prefix}/posts/other"' in body
    assert f'src="{origin}{prefix}/media/a.jpg"' in body

    channel = ET.fromstring(get("/feed.rss").data).find("channel")
    assert channel.findtext("link") == f"{root}/"
    assert channel.find(f"{A}link").get("href") == f"{root}/feed.rss"
    assert channel.findtext("item/link") == f"{root}/posts/{slug}"
    assert f'href="{origin}{prefix}/posts/other"' in channel.findtext("item/description")


def test_sitemap_lists_urls_under_the_sites_root(app, site, monkeypatch):
    past_page_cache(app)
    get, root, slug = site
    found = set(urlset(get("/sitemap.xml")))
    expected = {"/", "/archive/", "/category/science", "/author/editor", f"/posts/{slug}"}
    assert {root + path for path in expected} < found and len(found) == 7  # year and month
    assert all(loc.startswith(f"{root}/archive/") for loc in found - {root + p for p in expected})
    monkeypatch.setattr("blog.sitemap.MAX_URLS", 4)
    index = ET.fromstring(get("/sitemap.xml").data)
    parts = [s.findtext(f"{SM}loc") for s in index]
    assert parts == [f"{root}/sitemap-1.xml", f"{root}/sitemap-2.xml"]
    assert f"{root}/posts/{slug}" in urlset(get("/sitemap-2.xml"))


def test_robots_txt_paths_are_under_the_sites_prefix(site):
    get, root, _ = site
    prefix = urlsplit(root).path
    lines = get("/robots.txt").text.splitlines()
    assert lines == [
        "User-agent: *",
        f"Disallow: {prefix}/editor/",
        f"Disallow: {prefix}/auth/",
        f"Disallow: {prefix}/search",
        "",
        f"Sitemap: {root}/sitemap.xml",
    ]


def test_the_page_cache_keeps_each_mount_apart(client):
    """One worker reached both at its root and under a prefix caches a page for each."""
    assert "Sitemap: http://localhost/sitemap.xml" in client.get("/robots.txt").text
    prefixed = client.get("/robots.txt", base_url="http://localhost/blog/").text
    assert "Sitemap: http://localhost/blog/sitemap.xml" in prefixed
    assert "Disallow: /blog/editor/" in prefixed
