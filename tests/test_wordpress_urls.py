"""A site moved from WordPress keeps its old addresses: dates, pages, search, and no wp-admin."""

from datetime import datetime
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update

from blog.cache import PageCacheMiddleware
from blog.extensions import db
from blog.models import Category, Post, Setting
from blog.redirects import remember_slug


@pytest.fixture
def may(app, content):
    """Three posts of May 2024 in Science, tagged Space, two to a page; returns their slugs."""
    with app.app_context():
        db.session.add(Setting(key="posts_per_page", value="2"))
        db.session.commit()
    return [
        content.post(f"May story {day}", category="Science", tags=["Space"], published_at=when)
        for day, when in ((day, datetime(2024, 5, day, 12)) for day in (3, 9, 20))
    ]


@pytest.fixture(params=["", "/blog"], ids=["root", "prefix"])
def prefix(request):
    """Where the test client mounts the site: at the host's root, or under /blog."""
    return request.param


def moved(client, prefix: str, path: str) -> str:
    """Return where path redirects for good, as a path from the host's root."""
    response = client.get(path, base_url=f"http://localhost{prefix}/")
    assert response.status_code == 301, (path, response.status_code)
    location = response.headers["Location"]
    # Only ever a path on this site: no scheme or host a request could choose.
    assert location.startswith(f"{prefix}/") and not location.startswith("//"), location
    assert not urlsplit(location).scheme and not urlsplit(location).netloc, location
    return location


def follow(client, prefix: str, location: str):
    """Return the page at a location a redirect gave."""
    return client.get(location.removeprefix(prefix), base_url=f"http://localhost{prefix}/")


@pytest.mark.parametrize(
    "old, new",
    [
        ("/2024/", "/archive/2024/"),
        ("/2024", "/archive/2024/"),
        ("/2024/?utm_source=old", "/archive/2024/?utm_source=old"),
        ("/2024/05/", "/archive/2024/5/"),
        ("/2024/5", "/archive/2024/5/"),
        # A number up to 31 where a permalink has its slug is a day: it goes to its month.
        ("/2024/05/09/", "/archive/2024/5/"),
        ("/2024/05/31?a=1&a=2", "/archive/2024/5/?a=1&a=2"),
        ("/2024/05/01/", "/archive/2024/5/"),
    ],
)
def test_date_archives_redirect_to_the_archive(client, may, prefix, count_queries, old, new):
    response, statements = count_queries(lambda: moved(client, prefix, old))
    assert response == prefix + new and statements == []
    assert follow(client, prefix, response).status_code == 200


def test_a_number_past_any_day_is_still_a_posts_slug(app, client, may, prefix, count_queries):
    with app.app_context():
        db.session.execute(update(Post).where(Post.slug == may[0]).values(slug="1984"))
        db.session.commit()
    location, statements = count_queries(lambda: moved(client, prefix, "/2024/05/1984/"))
    assert location == f"{prefix}/posts/1984" and len(statements) == 1
    assert moved(client, prefix, f"/2024/05/{may[1]}/") == f"{prefix}/posts/{may[1]}"
    assert moved(client, prefix, "/2024/05/7") == f"{prefix}/archive/2024/5/"
    assert follow(client, prefix, "/2024/05/0/").status_code == 404  # not a day, nor a post


@pytest.mark.parametrize(
    "outside, inside",
    [
        ("/1969/", "/1970/"),
        ("/9999/", "/9998/"),
        ("/99999999999/", "/2024/"),
        ("/2024/13/", "/2024/12/"),
        ("/2024/0/", "/2024/1/"),
        ("/2024/13/09/", "/2024/12/09/"),
        ("/1969/05/09/", "/1970/05/09/"),
        ("/1969/page/2/", "/1970/page/2/"),
        ("/2024/13/page/2/", "/2024/12/page/2/"),
        ("/page/0/", "/page/1/"),
        ("/category/science/page/0/", "/category/science/page/1/"),
    ],
)
def test_dates_and_pages_out_of_range_are_404(client, may, outside, inside):
    assert client.get(outside).status_code == 404
    assert client.get(inside).status_code == 301


@pytest.mark.parametrize(
    "old, new",
    [
        ("/page/2/", "/?page=2"),
        ("/page/2", "/?page=2"),
        ("/page/1/", "/"),
        # The page in the path wins over one in the query; the rest of the query is kept.
        ("/page/2/?page=9&utm_source=x", "/?utm_source=x&page=2"),
        ("/page/1/?page=9", "/"),
        ("/category/science/page/2/", "/category/science?page=2"),
        ("/category/science/page/1/", "/category/science"),
        ("/tag/space/page/2/?ref=feed", "/tag/space?ref=feed&page=2"),
        ("/author/editor/page/2/", "/author/editor?page=2"),
        ("/2024/05/page/2/", "/archive/2024/5/?page=2"),
        ("/2024/page/2/", "/archive/2024/?page=2"),
    ],
)
def test_wordpress_pages_redirect_to_the_listings_page(
    client, may, prefix, count_queries, old, new
):
    location, statements = count_queries(lambda: moved(client, prefix, old))
    assert location == prefix + new
    assert len(statements) <= 1  # the category, tag or author: one indexed look-up
    page = follow(client, prefix, location)
    assert page.status_code == 200
    assert (", page 2" in page.text) == ("page=2" in new)


@pytest.mark.parametrize("known", ["/category/science", "/tag/space", "/author/editor"])
def test_pages_of_unknown_archives_are_404(client, may, known):
    assert client.get(f"{known}/page/2/").status_code == 301
    unknown = known.rsplit("/", 1)[0] + "/nope/page/2/"
    assert client.get(unknown).status_code == 404


def test_a_renamed_categorys_wordpress_page_follows_it(app, client, may, prefix):
    with app.app_context():
        category = db.session.scalar(select(Category).where(Category.slug == "science"))
        category.slug = "sciences"
        remember_slug("category", category.id, "science")
        db.session.commit()
    assert moved(client, prefix, "/category/science/page/2/?ref=x") == (
        f"{prefix}/category/sciences?ref=x&page=2"
    )
    assert moved(client, prefix, "/category/science/page/1/") == f"{prefix}/category/sciences"


@pytest.mark.parametrize(
    "old, new",
    [
        ("/?s=may+story", "/search?q=may+story"),
        ("/?s=", "/search?q="),
        ("/?s=rover&utm_source=x", "/search?utm_source=x&q=rover"),
        ("/?s=story&page=2", "/search?page=2&q=story"),
        ("/page/2/?s=story", "/search?q=story&page=2"),
        # Not a host to go to, only words to look for.
        ("/?s=//evil.example/x", "/search?q=%2F%2Fevil.example%2Fx"),
        ("/?s=https://evil.example", "/search?q=https%3A%2F%2Fevil.example"),
    ],
)
def test_wordpress_search_redirects_to_search(client, may, prefix, count_queries, old, new):
    location, statements = count_queries(lambda: moved(client, prefix, old))
    assert location == prefix + new and statements == []


def test_search_results_follow_the_redirect(client, may):
    results = client.get("/?s=may+story", follow_redirects=True)
    assert results.request.path == "/search" and 'name="q" value="may story"' in results.text


def test_posts_and_feeds_keep_the_query_string(app, client, may, prefix):
    with app.app_context():
        db.session.execute(update(Post).where(Post.slug == may[0]).values(wp_id=41))
        db.session.commit()
    assert moved(client, prefix, "/?p=41&utm_source=x") == f"{prefix}/posts/{may[0]}?utm_source=x"
    assert moved(client, prefix, f"/2024/05/{may[0]}/?utm_source=x") == (
        f"{prefix}/posts/{may[0]}?utm_source=x"
    )
    assert moved(client, prefix, "/feed/?utm_source=x") == f"{prefix}/feed.rss?utm_source=x"
    assert moved(client, prefix, "/tag/space/feed") == f"{prefix}/tag/space/feed.rss"


def test_redirects_never_enter_the_page_cache(app, client, may):
    page_cache = app.wsgi_app
    assert isinstance(page_cache, PageCacheMiddleware) and app.config["PAGE_CACHE"]
    for path in ("/2024/05/", "/page/2/", "/category/science/page/2/", "/?s=may"):
        for _ in range(2):
            response = client.get(path)
            assert response.status_code == 301 and "X-Blog-Page-Cache" not in response.headers
    assert page_cache.hits == 0 and not page_cache.entries


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/wp-admin"),
        ("GET", "/wp-admin/"),
        ("GET", "/wp-admin/install.php?step=1"),
        ("HEAD", "/wp-admin/admin-ajax.php"),
        ("GET", "/wp-login.php"),
        ("GET", "/wp-login.php?redirect_to=https://evil.example/"),
    ],
)
def test_wordpress_admin_is_a_bare_404(app, signed_in, count_queries, prefix, method, path):
    base_url = f"http://localhost{prefix}/"
    reader = app.test_client()
    response, statements = count_queries(
        lambda: reader.open(path, method=method, base_url=base_url)
    )
    assert response.status_code == 404 and statements == []
    assert "Location" not in response.headers
    assert response.content_type == "text/plain; charset=utf-8"
    # Not even for the signed-in editor: their desk is at /editor/.
    assert signed_in.get(path, base_url=base_url).status_code == 404


def test_robots_txt_is_unchanged(client):
    assert client.get("/wp-admin/").content_type == "text/plain; charset=utf-8"
    assert client.get("/robots.txt").text.splitlines() == [
        "User-agent: *",
        "Disallow: /editor/",
        "Disallow: /auth/",
        "Disallow: /search",
        "",
        "Sitemap: http://localhost/sitemap.xml",
    ]
