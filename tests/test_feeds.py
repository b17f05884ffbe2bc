"""Atom and RSS feeds, read the way feed readers and the W3C validator read them."""

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import feedparser
import pytest
from sqlalchemy import select

from blog.extensions import db
from blog.models import Post, utcnow

A = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
FEEDS = [
    "/feed.atom",
    "/feed.rss",
    "/category/science/feed.atom",
    "/category/science/feed.rss",
    "/tag/space/feed.atom",
    "/tag/space/feed.rss",
]


def post_row(app, slug: str) -> Post:
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.slug == slug))
        db.session.expunge(post)
        return post


def atom_date(text: str) -> datetime:
    assert RFC3339.fullmatch(text), text
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def stored(value: datetime) -> datetime:
    """A stored naive UTC time as feeds give it: aware, to the second."""
    return value.replace(microsecond=0, tzinfo=UTC)


@pytest.fixture
def science(content):
    """Posts in the Science category tagged Space, and one elsewhere; returns their slugs."""
    content.author("lukas", "Lukas Brandt")
    return [
        content.post(
            "Rover lands",
            category="Science",
            tags=["Space", "Mars"],
            author="lukas",
            ago=timedelta(hours=1),
        ),
        content.post("Comet seen", category="Science", tags=["Space"], ago=timedelta(hours=2)),
        content.post("Match report", category="Sport", ago=timedelta(hours=3)),
    ]


@pytest.mark.parametrize("url", FEEDS)
def test_every_feed_parses_without_errors(client, science, url):
    response = client.get(url)
    assert response.status_code == 200
    kind = "atom" if url.endswith(".atom") else "rss"
    assert response.content_type == f"application/{kind}+xml; charset=utf-8"
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == ("atom10" if kind == "atom" else "rss20")
    titles = [entry.title for entry in parsed.entries]
    assert titles == ["Rover lands", "Comet seen"] + (
        ["Match report"] if url.startswith("/feed.") else []
    )
    first = parsed.entries[0]
    assert first.author == "Lukas Brandt"
    assert {tag.term for tag in first.tags} == {"Science", "Space", "Mars"}
    assert first.link == f"http://localhost/posts/{science[0]}"
    html = first.content[0].value if kind == "atom" else first.summary
    assert html.strip() == "<p>Some <strong>news</strong> text.</p>"


# A tag with only a draft has no feed at all: tests/test_public_holes.py.
@pytest.mark.parametrize("url", ["/feed.atom", "/feed.rss"])
def test_empty_feeds_are_valid_too(client, content, url):
    content.post("Only a draft", tags=["Nothing yet"], status="draft")
    response = client.get(url)
    assert response.status_code == 200
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0 and parsed.entries == []
    assert ET.fromstring(response.data) is not None


def test_atom_has_every_required_element_and_correct_dates(app, client, science):
    response = client.get("/category/science/feed.atom")
    feed = ET.fromstring(response.data)
    assert feed.tag == f"{A}feed"
    assert feed.findtext(f"{A}id") == "http://localhost/category/science/feed.atom"
    assert feed.findtext(f"{A}title") == "Science · My Blog"
    assert feed.find(f"{A}author/{A}name").text == "My Blog"
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{A}link")}
    assert links == {
        "self": "http://localhost/category/science/feed.atom",
        "alternate": "http://localhost/category/science",
    }
    entries = feed.findall(f"{A}entry")
    assert len(entries) == 2
    for entry, slug in zip(entries, science, strict=False):
        post = post_row(app, slug)
        assert re.fullmatch(r"tag:localhost,\d{4}-\d\d-\d\d:post-\d+", entry.findtext(f"{A}id"))
        assert entry.findtext(f"{A}title") == post.title
        link = entry.find(f"{A}link")
        assert (
            link.get("rel") == "alternate" and link.get("href") == f"http://localhost/posts/{slug}"
        )
        assert atom_date(entry.findtext(f"{A}published")) == stored(post.published_at)
        assert atom_date(entry.findtext(f"{A}updated")) == stored(post.updated_at)
        assert entry.find(f"{A}author/{A}name").text
        content = entry.find(f"{A}content")
        assert content.get("type") == "html" and content.text == post.body_html
    newest = max(atom_date(entry.findtext(f"{A}updated")) for entry in entries)
    assert atom_date(feed.findtext(f"{A}updated")) == newest
    assert response.last_modified == newest


def test_rss_has_every_required_element_and_correct_dates(app, client, science):
    response = client.get("/tag/space/feed.rss")
    rss = ET.fromstring(response.data)
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    channel = rss.find("channel")
    assert channel.findtext("title") == "Space · My Blog"
    assert channel.findtext("link") == "http://localhost/tag/space"
    assert channel.findtext("description") == "News and stories"
    self_link = channel.find(f"{A}link")
    assert self_link.get("rel") == "self"
    assert self_link.get("href") == "http://localhost/tag/space/feed.rss"
    assert parsedate_to_datetime(channel.findtext("lastBuildDate")).tzinfo is not None
    items = channel.findall("item")
    assert len(items) == 2
    for item, slug in zip(items, science, strict=False):
        post = post_row(app, slug)
        assert item.findtext("title") == post.title
        assert item.findtext("link") == f"http://localhost/posts/{slug}"
        guid = item.find("guid")
        assert guid.get("isPermaLink") == "false" and guid.text.startswith("tag:localhost,")
        assert parsedate_to_datetime(item.findtext("pubDate")) == stored(post.published_at)
        assert item.findtext(f"{DC}creator")
        assert item.findtext("description") == post.body_html
    assert [c.text for c in items[0].findall("category")] == ["Science", "Mars", "Space"]


def test_feed_holds_the_twenty_newest_posts(client, content):
    for n in range(25):
        content.post(f"Story {n:02d}", ago=timedelta(hours=n))
    for url in ("/feed.atom", "/feed.rss"):
        parsed = feedparser.parse(client.get(url).data)
        assert [entry.title for entry in parsed.entries] == [f"Story {n:02d}" for n in range(20)]


def test_drafts_and_scheduled_posts_stay_out_until_due(client, content, monkeypatch):
    content.post("Out now", category="Science", tags=["Space"])
    content.post("A draft", category="Science", tags=["Space"], status="draft")
    content.post(
        "Embargoed", category="Science", tags=["Space"], published_at=utcnow() + timedelta(hours=1)
    )
    for url in FEEDS:
        assert [e.title for e in feedparser.parse(client.get(url).data).entries] == ["Out now"]
    later = utcnow() + timedelta(hours=2)
    monkeypatch.setattr("blog.posts.listings.utcnow", lambda: later)
    for url in FEEDS:
        titles = [e.title for e in feedparser.parse(client.get(url).data).entries]
        assert titles == ["Embargoed", "Out now"], url


def test_scheduled_post_is_updated_when_it_goes_out(app, client, content, monkeypatch):
    """Saved before it was due, a scheduled post's change for readers is its publication."""
    due = (utcnow() + timedelta(hours=1)).replace(microsecond=0)
    content.post("Embargoed", published_at=due)
    monkeypatch.setattr("blog.posts.listings.utcnow", lambda: due + timedelta(minutes=5))
    response = client.get("/feed.atom")
    entry = ET.fromstring(response.data).find(f"{A}entry")
    assert atom_date(entry.findtext(f"{A}updated")) == due.replace(tzinfo=UTC)
    assert response.last_modified == due.replace(tzinfo=UTC)


def test_entry_id_survives_a_new_title_and_slug(app, client, content):
    slug = content.post("First title")
    before = feedparser.parse(client.get("/feed.atom").data).entries[0]
    rss_before = feedparser.parse(client.get("/feed.rss").data).entries[0]
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.slug == slug))
        post.title, post.slug = "A better title", "a-better-title"
        post.published_at -= timedelta(days=3)
        db.session.commit()
    after = feedparser.parse(client.get("/feed.atom").data).entries[0]
    rss_after = feedparser.parse(client.get("/feed.rss").data).entries[0]
    assert after.title == "A better title" and after.link.endswith("/posts/a-better-title")
    assert after.id == before.id
    assert rss_after.id == rss_before.id == before.id


def test_relative_links_in_bodies_become_absolute(client, content):
    content.post(
        "Links",
        body="[a post](/posts/other) ![photo](/media/a.jpg) [far](https://example.org/x) "
        "[scheme-relative](//cdn.example/y) [anchor](#top)",
    )
    for url in ("/feed.atom", "/feed.rss"):
        entry = feedparser.parse(client.get(url).data).entries[0]
        html = entry.content[0].value if url.endswith("atom") else entry.summary
        assert 'href="http://localhost/posts/other"' in html
        assert 'src="http://localhost/media/a.jpg"' in html
        assert 'href="https://example.org/x"' in html
        assert 'href="//cdn.example/y"' in html
        assert 'href="#top"' in html


def test_base_url_setting_makes_every_url(app, client, content):
    app.config["BASE_URL"] = "https://news.example"
    content.post("Elsewhere", category="Science", body="[a post](/posts/other)")
    feed = ET.fromstring(client.get("/category/science/feed.atom").data)
    assert feed.findtext(f"{A}id") == "https://news.example/category/science/feed.atom"
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{A}link")}
    assert links["self"] == "https://news.example/category/science/feed.atom"
    assert links["alternate"] == "https://news.example/category/science"
    entry = feed.find(f"{A}entry")
    assert entry.findtext(f"{A}id").startswith("tag:news.example,")
    assert entry.find(f"{A}link").get("href").startswith("https://news.example/posts/")
    assert 'href="https://news.example/posts/other"' in entry.findtext(f"{A}content")
    channel = ET.fromstring(client.get("/feed.rss").data).find("channel")
    assert channel.findtext("link") == "https://news.example/"
    assert channel.find(f"{A}link").get("href") == "https://news.example/feed.rss"
    assert channel.find("item/guid").text.startswith("tag:news.example,")


def test_control_characters_never_break_the_xml(client, content):
    content.post("Bell\x07 and form\x0cfeed")
    for url in ("/feed.atom", "/feed.rss"):
        parsed = feedparser.parse(client.get(url).data)
        assert parsed.bozo == 0 and parsed.entries[0].title == "Bell and formfeed"


@pytest.fixture(params=["page cache", "no page cache"])
def either_client(request, app, client):
    """The client, with and without the page cache in front: both answer 304 alike."""
    if request.param == "no page cache":
        app.wsgi_app = getattr(app.wsgi_app, "wsgi_app", app.wsgi_app)
    return client


@pytest.mark.parametrize("url", ["/feed.atom", "/tag/space/feed.rss"])
def test_conditional_get_answers_304(either_client, content, url):
    client = either_client
    content.post("Old news", tags=["Space"])
    first = client.get(url)
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag and last_modified

    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get(url, headers={"If-Modified-Since": last_modified}).status_code == 304
    earlier = first.last_modified - timedelta(hours=1)
    since = earlier.strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert client.get(url, headers={"If-Modified-Since": since}).status_code == 200

    content.post("Fresh news", tags=["Space"], ago=timedelta(0))
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


@pytest.mark.parametrize(
    "url",
    [
        "/category/nope/feed.atom",
        "/category/nope/feed.rss",
        "/tag/nope/feed.atom",
        "/tag/nope/feed.rss",
        "/feed.json",
    ],
)
def test_unknown_feeds_are_404(client, content, url):
    content.post("Something")
    assert client.get(url).status_code == 404


def test_wordpress_feed_addresses_redirect_to_rss(client, science):
    for old, new in [
        ("/feed/", "/feed.rss"),
        ("/category/science/feed/", "/category/science/feed.rss"),
        ("/tag/space/feed/", "/tag/space/feed.rss"),
    ]:
        response = client.get(old)
        assert response.status_code == 301 and response.headers["Location"] == new


def test_pages_advertise_their_feeds(client, science):
    site = [
        '<link rel="alternate" type="application/atom+xml" title="My Blog (Atom)" '
        'href="/feed.atom">',
        '<link rel="alternate" type="application/rss+xml" title="My Blog (RSS)" href="/feed.rss">',
    ]
    for url in ("/", f"/posts/{science[0]}", "/author/lukas", "/archive/", "/category/science"):
        page = client.get(url).text
        assert all(link in page for link in site), url
    category = client.get("/category/science").text
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Science · My Blog (Atom)" '
        'href="/category/science/feed.atom">'
    ) in category
    assert (
        '<link rel="alternate" type="application/rss+xml" title="Science · My Blog (RSS)" '
        'href="/category/science/feed.rss">'
    ) in category
    tag = client.get("/tag/space").text
    assert 'href="/tag/space/feed.atom"' in tag and 'href="/tag/space/feed.rss"' in tag
    author = client.get("/author/lukas").text
    assert 'href="/author/lukas/feed.atom"' in author and 'href="/author/lukas/feed.rss"' in author


@pytest.mark.parametrize("posts", [5, 40])
def test_feed_query_count_does_not_grow_with_posts(app, client, content, count_queries, posts):
    """One query for the posts with authors and categories, one for their tags.

    Besides: the settings, the category or tag, and the page cache's next scheduled post.
    """
    app.wsgi_app = getattr(app.wsgi_app, "wsgi_app", app.wsgi_app)  # to the app itself
    for n in range(posts):
        content.post(
            category=["Science", "Sport"][n % 2],
            tags=["Space", "Mars", "Oceans"][: n % 3 + 1],
            author=["editor", "lukas"][n % 2],
        )
    for url, limit in [("/feed.atom", 4), ("/feed.rss", 4)] + [(url, 5) for url in FEEDS[2:]]:
        response, statements = count_queries(lambda url=url: client.get(url))
        assert response.status_code == 200, url
        assert len(statements) <= limit, (url, statements)
