"""An author's own feed, like a category's or a tag's, announced on the author's page."""

from datetime import timedelta

import feedparser
import pytest

from blog.models import utcnow


@pytest.fixture
def bylines(content):
    """Posts by two authors; returns the slugs of Lukas's public ones, newest first."""
    content.author("lukas", "Lukas Brandt", bio="Covers science.")
    mine = [
        content.post("Rover lands", author="lukas", tags=["Space"], ago=timedelta(hours=1)),
        content.post("Comet seen", author="lukas", category="Science", ago=timedelta(hours=3)),
    ]
    content.post("Match report", author="editor", ago=timedelta(hours=2))
    content.post("Lukas's draft", author="lukas", status="draft")
    content.post("Lukas tomorrow", author="lukas", published_at=utcnow() + timedelta(days=1))
    return mine


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_author_feed_holds_the_author_s_public_posts(client, bylines, fmt):
    response = client.get(f"/author/lukas/feed.{fmt}")
    assert response.status_code == 200
    assert response.content_type == f"application/{fmt}+xml; charset=utf-8"
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.feed.title == "Lukas Brandt · My Blog"
    assert parsed.feed.link == "http://localhost/author/lukas"
    assert [entry.title for entry in parsed.entries] == ["Rover lands", "Comet seen"]
    assert parsed.entries[0].link == f"http://localhost/posts/{bylines[0]}"
    assert {entry.author for entry in parsed.entries} == {"Lukas Brandt"}
    self_link = f"http://localhost/author/lukas/feed.{fmt}"
    assert f'href="{self_link}"' in response.text
    assert "Covers science." in response.text


def test_author_page_announces_its_feeds(client, bylines):
    page = client.get("/author/lukas").text
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Lukas Brandt · My Blog (Atom)" '
        'href="/author/lukas/feed.atom">'
    ) in page
    assert (
        '<link rel="alternate" type="application/rss+xml" title="Lukas Brandt · My Blog (RSS)" '
        'href="/author/lukas/feed.rss">'
    ) in page
    # The month archive has none of its own: only the site's two.
    month = client.get(f"/archive/{utcnow().year}/{utcnow().month}/")
    assert month.text.count('rel="alternate"') == 2


def test_unknown_author_feed_is_404_and_wordpress_address_redirects(client, bylines):
    assert client.get("/author/nobody/feed.atom").status_code == 404
    assert client.get("/author/lukas/feed.json").status_code == 404
    response = client.get("/author/lukas/feed/")
    assert response.status_code == 301 and response.location == "/author/lukas/feed.rss"


@pytest.mark.parametrize("posts", [5, 40])
def test_author_feed_query_count_does_not_grow_with_posts(
    app, client, content, count_queries, posts
):
    app.wsgi_app = getattr(app.wsgi_app, "wsgi_app", app.wsgi_app)  # past the page cache
    for n in range(posts):
        content.post(author=["editor", "lukas"][n % 2], tags=["Space", "Mars"][: n % 2 + 1])
    for url in ("/author/lukas/feed.atom", "/author/lukas/feed.rss"):
        response, statements = count_queries(lambda url=url: client.get(url))
        assert response.status_code == 200, url
        # Settings, the author, the posts with bylines and categories, their tags, schedule.
        assert len(statements) <= 5, (url, statements)
