"""Titles, descriptions, canonical links, Open Graph, Twitter cards and JSON-LD."""

import json
import re
from html.parser import HTMLParser

import pytest

from blog.extensions import db
from blog.models import Post


class Head(HTMLParser):
    """Collect the <title>, <meta>, <link> and JSON-LD of a page."""

    def __init__(self, html: str):
        super().__init__()
        self.meta, self.links, self.json_ld, self.title = {}, {}, [], ""
        self._in = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta":
            key = attrs.get("property") or attrs.get("name")
            if key:
                self.meta.setdefault(key, []).append(attrs.get("content"))
        elif tag == "link" and "rel" in attrs:
            self.links.setdefault(attrs["rel"], []).append(attrs.get("href"))
        elif tag in ("title", "script") and (
            tag == "title" or attrs.get("type") == "application/ld+json"
        ):
            self._in = tag

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._in == "script":
            self.json_ld.append(json.loads(data))

    def handle_endtag(self, tag):
        self._in = None


def head(client, url) -> Head:
    response = client.get(url)
    assert response.status_code == 200, url
    return Head(response.text)


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/?page=2",
        "/category/science",
        "/tag/space",
        "/author/editor",
        "/archive/",
        "/archive/2024/5/",
    ],
)
def test_every_page_type_has_consistent_metadata(client, content, url):
    for n in range(12):
        content.post(
            f"Story {n}",
            category="Science",
            tags=["Space"],
            published_at=Post.published_at.type.python_type(2024, 5, 10 + n),
        )
    page = head(client, url)
    canonical = page.links["canonical"][0]
    assert canonical == "http://localhost" + url.replace("?page=1", "")
    assert page.meta["og:url"] == [canonical]
    assert page.meta["og:title"][0] and page.meta["og:description"][0] is not None
    assert page.meta["og:type"] == ["website"]
    assert page.meta["twitter:card"] == ["summary"]
    assert page.title.strip() and page.meta["description"][0] is not None


def test_post_page_metadata_and_json_ld(app, client, content):
    content.author("amara", "Amara Okafor")
    slug = content.post(
        "Rover lands",
        category="Science",
        tags=["Space", "Mars"],
        author="amara",
        body="First paragraph about the landing.",
    )
    page = head(client, f"/posts/{slug}")
    url = f"http://localhost/posts/{slug}"
    assert page.title == "Rover lands · My Blog"
    assert page.meta["description"] == ["First paragraph about the landing."]
    assert page.links["canonical"] == [url] and page.meta["og:url"] == [url]
    assert page.meta["og:type"] == ["article"]
    assert page.meta["article:author"] == ["http://localhost/author/amara"]
    assert page.meta["article:section"] == ["Science"]
    assert sorted(page.meta["article:tag"]) == ["Mars", "Space"]
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", page.meta["article:published_time"][0]
    )
    assert "og:image" not in page.meta
    (ld,) = page.json_ld
    assert ld["@type"] == "BlogPosting" and ld["headline"] == "Rover lands"
    assert ld["author"]["name"] == "Amara Okafor" and ld["url"] == url
    assert ld["datePublished"] == page.meta["article:published_time"][0]


def test_seo_overrides_and_base_url(app, client, content):
    slug = content.post("Plain title", body="Body text.")
    with app.app_context():
        post = db.session.query(Post).filter_by(slug=slug).one()
        post.seo_title, post.seo_description = "Search title", "Search description"
        db.session.commit()
    app.config["BASE_URL"] = "https://news.example/"
    page = head(client, f"/posts/{slug}")
    assert page.title == "Search title · My Blog"
    assert page.meta["description"] == ["Search description"]
    assert page.meta["og:description"] == ["Search description"]
    assert page.meta["og:title"] == ["Search title"]
    assert page.links["canonical"] == [f"https://news.example/posts/{slug}"]
    assert page.json_ld[0]["headline"] == "Search title"


def test_json_ld_cannot_break_out_of_its_script(client, content):
    slug = content.post("</script><script>alert(1)</script>", body="x")
    text = client.get(f"/posts/{slug}").text
    block = text.split('<script type="application/ld+json">')[1].split("</script>")[0]
    assert "<" not in block and json.loads(block)["headline"].startswith("</script>")


def test_error_pages_have_no_canonical(client):
    page = Head(client.get("/nope").text)
    assert "canonical" not in page.links and page.meta["robots"] == ["noindex"]


def test_featured_image_becomes_og_image_and_large_card(app, client, content):
    from blog.models import Media

    slug = content.post("With picture")
    with app.app_context():
        media = Media(filename="abc.jpg", content_type="image/jpeg", width=1600, height=900)
        db.session.add(media)
        post = db.session.query(Post).filter_by(slug=slug).one()
        post.image, post.image_alt = media, "A red kite over hills"
        db.session.commit()
    page = head(client, f"/posts/{slug}")
    assert page.meta["og:image"] == ["http://localhost/media/abc.jpg"]
    assert page.meta["og:image:alt"] == ["A red kite over hills"]
    assert page.meta["twitter:card"] == ["summary_large_image"]
    assert page.json_ld[0]["image"] == "http://localhost/media/abc.jpg"
