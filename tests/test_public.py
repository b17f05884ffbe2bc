"""What readers see, through the routes, as a browser asks for it."""

import re
from datetime import timedelta

import pytest

from blog.extensions import db
from blog.models import Setting, utcnow


def titles(response) -> list[str]:
    # The listing's own cards: the home page's section blocks below them repeat older posts.
    listing = response.text.split('<div class="front-sections">')[0]
    return re.findall(r'class="card-title"><a href="[^"]+">([^<]+)</a>', listing)


def test_home_lists_newest_first_ten_a_page(client, content):
    for n in range(23):
        content.post(f"Story {n:02d}", ago=timedelta(hours=n))
    first = client.get("/")
    assert first.status_code == 200
    assert titles(first) == [f"Story {n:02d}" for n in range(10)]
    second = client.get("/?page=2")
    assert titles(second) == [f"Story {n:02d}" for n in range(10, 20)]
    assert titles(client.get("/?page=3")) == ["Story 20", "Story 21", "Story 22"]
    assert 'rel="next" href="/?page=2"' in first.text
    assert 'rel="prev" href="/"' in second.text
    assert '<span aria-current="page">2</span>' in second.text
    assert client.get("/?page=4").status_code == 404
    assert client.get("/?page=0").status_code == 404


def test_home_card_has_excerpt_category_author_date_and_reading_time(client, content):
    content.author("amara", "Amara Okafor")
    content.post("A long read", author="amara", category="World News", body="word " * 700)
    page = client.get("/").text
    assert "A long read" in page
    assert 'href="/category/world-news"' in page and "World News" in page
    assert 'href="/author/amara">Amara Okafor</a>' in page
    assert "3 min read" in page
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d\+00:00">', page)
    assert "word word word" in page


def test_empty_site_home_is_not_an_error(client):
    response = client.get("/")
    assert response.status_code == 200


def test_post_page_shows_byline_body_tags_and_neighbours(client, content):
    older = content.post("Older one", ago=timedelta(days=3))
    slug = content.post(
        "The main story",
        tags=["Climate", "Energy"],
        body="## Heading\n\nBody **bold**.",
        ago=timedelta(days=2),
    )
    newer = content.post("Newer one", ago=timedelta(days=1))
    page = client.get(f"/posts/{slug}").text
    assert "<h1>The main story</h1>" in page
    assert '<h2 id="heading">Heading<a class="header-anchor"' in page
    assert "<strong>bold</strong>" in page
    assert 'href="/author/editor">Editor</a>' in page
    assert 'href="/tag/climate" rel="tag">Climate</a>' in page
    assert f'rel="prev" href="/posts/{older}"' in page
    assert f'rel="next" href="/posts/{newer}"' in page


def test_related_posts_prefer_shared_tags_then_category_then_recency(client, content):
    content.author("sofia", "Sofia Marín")
    slug = content.post("Subject", category="Science", tags=["Space", "Oceans"])
    content.post("Unrelated", category="Sport", tags=["Football"], ago=timedelta(seconds=1))
    two_tags = content.post(
        "Both tags",
        category="Sport",
        tags=["Space", "Oceans"],
        author="sofia",
        ago=timedelta(days=9),
    )
    tag_and_cat = content.post(
        "Tag and category", category="Science", tags=["Space"], ago=timedelta(days=8)
    )
    content.post("Category only, old", category="Science", ago=timedelta(days=30))
    newer_cat = content.post("Category only, new", category="Science", ago=timedelta(days=2))
    content.post("Draft sharing tags", category="Science", tags=["Space", "Oceans"], status="draft")
    page = client.get(f"/posts/{slug}").text
    related = page.split('id="related-heading"')[1]
    links = re.findall(r'<h3 class="card-title"><a href="/posts/([^"]+)">', related)
    assert links == [two_tags, tag_and_cat, newer_cat]
    assert "Sofia Marín" in related and "<time" in related


def test_drafts_scheduled_and_unknown_posts_are_404(client, content):
    draft = content.post("A draft", status="draft")
    scheduled = content.post("Tomorrow", published_at=utcnow() + timedelta(days=1))
    assert client.get(f"/posts/{draft}").status_code == 404
    assert client.get(f"/posts/{scheduled}").status_code == 404
    assert client.get("/posts/no-such-post").status_code == 404
    home = client.get("/").text
    assert "A draft" not in home and "Tomorrow" not in home


def test_scheduled_post_appears_when_its_time_comes(client, content, monkeypatch):
    slug = content.post(
        "Embargoed", category="Politics", published_at=utcnow() + timedelta(hours=1)
    )
    assert client.get(f"/posts/{slug}").status_code == 404
    later = utcnow() + timedelta(hours=2)
    monkeypatch.setattr("blog.posts.listings.utcnow", lambda: later)
    assert client.get(f"/posts/{slug}").status_code == 200
    assert "Embargoed" in client.get("/").text
    assert "Embargoed" in client.get("/category/politics").text


def test_category_tag_author_and_month_archives(client, content):
    content.author("lukas", "Lukas Brandt", bio="Covers science.")
    when = utcnow().replace(year=2024, month=5, day=15)
    content.post(
        "Rover lands", category="Science", tags=["Space"], author="lukas", published_at=when
    )
    content.post("Match report", category="Sport", published_at=when + timedelta(days=40))
    category = client.get("/category/science").text
    assert "<h1>Science</h1>" in category and "Rover lands" in category
    assert "Match report" not in category
    assert 'aria-current="page">Science</a>' in category
    tag = client.get("/tag/space").text
    assert "Rover lands" in tag and "Match report" not in tag
    author = client.get("/author/lukas").text
    assert "Lukas Brandt" in author and "Covers science." in author and "Rover lands" in author
    month = client.get("/archive/2024/5/").text
    assert "May 2024" in month and "Rover lands" in month and "Match report" not in month
    months = client.get("/archive/").text
    assert 'href="/archive/2024/5/">May</a> <span class="count">(1)</span>' in months
    assert 'href="/archive/2024/6/">June</a>' in months
    for url in ["/category/nope", "/tag/nope", "/author/nope", "/archive/2024/13/"]:
        assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "few_posts, near_pages",
    [(500, 5), (3, 5), (3, 0)],
    ids=["read from the tag", "probe near the ends", "walk with the list"],
)
def test_tag_archive_pages_hold_its_public_posts_newest_first(
    app, client, content, monkeypatch, few_posts, near_pages
):
    """Every way of reading a tag's page (blog.posts.listings.FEW_POSTS) gives the same pages."""
    app.config["PAGE_CACHE"] = False
    monkeypatch.setattr("blog.posts.listings.FEW_POSTS", few_posts)
    monkeypatch.setattr("blog.posts.listings.NEAR_PAGES", near_pages)
    for n in range(14):
        content.post(f"Tagged {n:02d}", tags=["Harbour"], ago=timedelta(hours=n))
        content.post(f"Other {n:02d}", tags=["Inland"], ago=timedelta(hours=n, minutes=30))
    content.post("Tagged draft", tags=["Harbour"], status="draft")
    content.post("Tagged later", tags=["Harbour"], published_at=utcnow() + timedelta(days=1))
    first, second = client.get("/tag/harbour"), client.get("/tag/harbour?page=2")
    assert titles(first) == [f"Tagged {n:02d}" for n in range(10)]
    assert titles(second) == [f"Tagged {n:02d}" for n in range(10, 14)]
    assert "14 posts" in first.text
    assert client.get("/tag/harbour?page=3").status_code == 404


def test_archives_paginate(client, content):
    for n in range(12):
        content.post(f"Science {n}", category="Science")
    assert len(titles(client.get("/category/science"))) == 10
    assert len(titles(client.get("/category/science?page=2"))) == 2
    assert client.get("/category/science?page=3").status_code == 404


def test_month_archive_follows_site_time_zone(app, client, content):
    # 23:30 UTC on 31 January is already 1 February in Tokyo.
    content.post(
        "Late night", published_at=utcnow().replace(year=2024, month=1, day=31, hour=23, minute=30)
    )
    assert "Late night" in client.get("/archive/2024/1/").text
    with app.app_context():
        db.session.add(Setting(key="timezone", value="Asia/Tokyo"))
        db.session.commit()
    # January is empty now: a 404 (whose page lists the latest stories, this one too).
    assert client.get("/archive/2024/1/").status_code == 404
    assert "Late night" in client.get("/archive/2024/2/").text


def test_masthead_and_navigation_come_from_settings_and_categories(app, client, content):
    content.post(category="World News")
    content.post(category="Business")
    with app.app_context():
        db.session.add_all(
            [
                Setting(key="title", value="The Daily Flask"),
                Setting(key="tagline", value="All the news"),
            ]
        )
        db.session.commit()
    page = client.get("/").text
    assert '<p class="site-title"><a href="/" rel="home">The Daily Flask</a></p>' in page
    assert "All the news" in page
    nav = page.split('aria-label="Categories"')[1].split("</nav>")[0]
    assert nav.index("Business") < nav.index("World News")


def test_pages_are_accessible_html(client, content):
    slug = content.post()
    year = f"/archive/{utcnow().year}/"
    for url in ["/", f"/posts/{slug}", "/category/world-news", "/archive/", year, "/nope"]:
        page = client.get(url).text
        assert '<html lang="en">' in page
        assert '<a class="skip-link" href="#main">' in page
        assert '<main id="main"' in page and "<header" in page and "<footer" in page
        assert page.count("<h1") == 1, url
        assert 'name="viewport"' in page


def test_404_page_in_the_site_look(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "couldn’t find that page" in response.text
    assert 'class="site-title"' in response.text


def test_500_page_shows_no_stack_trace(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "secret internals" not in response.text and "Traceback" not in response.text


@pytest.mark.parametrize("posts", [15, 150])
def test_query_count_does_not_grow_with_posts(app, client, content, count_queries, posts):
    """Each public page runs the same small number of queries at 15 and at 150 posts.

    Measured on full renders (the page cache would answer with none at all), after one
    warm-up request: settings, navigation and the next schedule are read once per change.
    """
    app.config["PAGE_CACHE"] = False  # measure full renders
    tags = ["Alpha", "Beta", "Gamma"]
    for n in range(posts):
        content.post(
            category=["World News", "Science"][n % 2],
            tags=tags[: n % 3 + 1],
            author=["editor", "amara"][n % 2],
        )
    slug = content.post("Reference", tags=tags)
    client.get("/")
    pages = {
        # One statement for a page of cards: bylines and categories come from maps.
        "/": 1,
        "/?page=2": 1,
        # The post, its tags, older, newer, related, the related posts' cards, the
        # authors' bios (kept per change; read here the first time), its comments.
        f"/posts/{slug}": 8,
        # Plus the archive's own row and its count (kept after the first request).
        "/category/science": 3,
        # A tag on few posts reads their ids first (blog.posts.listings.FEW_POSTS).
        "/tag/alpha": 4,
        "/author/amara": 3,
        "/archive/": 1,
        f"/archive/{utcnow().year}/{utcnow().month}/": 2,
        # The year's count and page, and its months (kept per change, as for /archive/).
        f"/archive/{utcnow().year}/": 3,
    }
    for url, limit in pages.items():
        response, statements = count_queries(lambda url=url: client.get(url))
        assert response.status_code == 200, url
        assert len(statements) <= limit, (url, len(statements), statements)


def test_category_menu_is_in_alphabetical_order_whatever_the_case(client, content):
    for name in ["banana", "Apple", "cherry", "Date"]:
        content.post(category=name)
    menu = re.search(r'<nav class="site-nav".*?</nav>', client.get("/").text, re.S).group(0)
    assert re.findall(r'">([^<]+)</a></li>', menu) == ["Apple", "banana", "cherry", "Date"]


@pytest.mark.parametrize("mount", ["http://localhost/", "http://localhost/blog/"])
def test_month_archive_has_one_address(client, content, mount):
    content.post("Rover lands", published_at=utcnow().replace(year=2024, month=4, day=15))
    prefix = mount.removeprefix("http://localhost").rstrip("/")
    page = client.get("/archive/2024/4/", base_url=mount)
    assert page.status_code == 200 and "Rover lands" in page.text
    canonical = f'<link rel="canonical" href="http://localhost{prefix}/archive/2024/4/">'
    assert canonical in page.text
    for other in ["/archive/2024/04/", "/archive/02024/4/", "/archive/2024/004/"]:
        moved = client.get(other, base_url=mount, query_string={"page": "1", "utm": "x"})
        assert moved.status_code == 301, other
        assert moved.location == f"{prefix}/archive/2024/4/?page=1&utm=x", other
    assert client.get("/archive/2024/04/", base_url=mount, follow_redirects=True).text == page.text


def test_favicon_ico_leads_to_the_site_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert re.fullmatch(r"/static/favicon\.svg\?v=[0-9a-f]{12}", response.location)
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    with client.get(response.location) as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
        assert b"<svg" in icon.data
    # The same icon every page's head names.
    assert f'<link rel="icon" href="{response.location}"' in client.get("/").text
