"""The year archive: a year's public posts, its months, and the ways readers reach it."""

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

from blog.extensions import db
from blog.models import Setting, utcnow

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def titles(response) -> list[str]:
    return re.findall(r'class="card-title"><a href="[^"]+">([^<]+)</a>', response.text)


def test_year_lists_its_public_posts_newest_first_a_page_at_a_time(client, content):
    for n in range(12):
        content.post(f"Story {n:02d}", published_at=datetime(2024, 12 - n, 10))
    content.post("Last year", published_at=datetime(2023, 12, 31, 12))
    content.post("Next year", published_at=datetime(2025, 1, 1, 12))
    content.post("A draft", published_at=datetime(2024, 6, 1), status="draft")
    first = client.get("/archive/2024/")
    assert first.status_code == 200
    assert "<h1>2024</h1>" in first.text and "12 posts · page 1 of 2" in first.text
    assert titles(first) == [f"Story {n:02d}" for n in range(10)]
    second = client.get("/archive/2024/?page=2")
    assert titles(second) == ["Story 10", "Story 11"]
    assert 'href="/archive/2024/" aria-label="Page 1"' in second.text  # page 1 has no query string
    assert client.get("/archive/2024/?page=3").status_code == 404
    assert titles(client.get("/archive/2023/")) == ["Last year"]


def test_year_links_to_its_months_with_their_counts(client, content):
    content.post("May one", published_at=datetime(2024, 5, 3))
    content.post("May two", published_at=datetime(2024, 5, 20))
    content.post("November", published_at=datetime(2024, 11, 2))
    content.post("Other year", published_at=datetime(2023, 2, 2))
    page = client.get("/archive/2024/").text
    months = page.split('<nav aria-label="Months of 2024">')[1].split("</nav>")[0]
    assert re.findall(r'href="([^"]+)">(\w+)</a> <span class="count">\((\d+)\)', months) == [
        ("/archive/2024/11/", "November", "1"),
        ("/archive/2024/5/", "May", "2"),
    ]
    # And back up: a month names its year.
    assert '<a href="/archive/2024/">2024</a>' in client.get("/archive/2024/5/").text


def test_archives_page_links_each_year(client, content):
    content.post("Old", published_at=datetime(2023, 2, 2))
    content.post("New", published_at=datetime(2024, 5, 3))
    page = client.get("/archive/").text
    assert '<h2 id="year-2024"><a href="/archive/2024/">2024</a></h2>' in page
    assert '<h2 id="year-2023"><a href="/archive/2023/">2023</a></h2>' in page


def test_year_follows_the_site_time_zone(app, client, content):
    # 23:30 UTC on 31 December 2023 is already 2024 in Tokyo.
    content.post("New Year party", published_at=datetime(2023, 12, 31, 23, 30))
    assert titles(client.get("/archive/2023/")) == ["New Year party"]
    with app.app_context():
        db.session.add(Setting(key="timezone", value="Asia/Tokyo"))
        db.session.commit()
    # 2023 is empty now: a 404 (whose page lists the latest stories, this one too).
    assert client.get("/archive/2023/").status_code == 404
    assert titles(client.get("/archive/2024/")) == ["New Year party"]


def test_year_has_one_address(client, content):
    content.post("Story", published_at=datetime(2024, 5, 3))
    page = client.get("/archive/2024/").text
    assert '<link rel="canonical" href="http://localhost/archive/2024/">' in page
    moved = client.get("/archive/02024/?page=1")
    assert moved.status_code == 301 and moved.location == "/archive/2024/?page=1"
    for url in ["/archive/1969/", "/archive/9999/", "/archive/99999999999/"]:
        assert client.get(url).status_code == 404, url


def test_sitemap_lists_each_year_before_its_months(client, content):
    content.post("May", published_at=datetime(2024, 5, 3, 8))
    content.post("June", published_at=datetime(2024, 6, 4, 9))
    content.post("Old", published_at=datetime(2023, 2, 2, 10))
    content.post("Soon", published_at=utcnow() + timedelta(days=400))
    root = ET.fromstring(client.get("/sitemap.xml").data)
    found = {
        url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod")
        for url in root.iter(f"{SITEMAP}url")
    }
    dated = [loc for loc in found if "/archive/20" in loc]
    assert dated == [
        "http://localhost/archive/2024/",
        "http://localhost/archive/2024/6/",
        "http://localhost/archive/2024/5/",
        "http://localhost/archive/2023/",
        "http://localhost/archive/2023/2/",
    ]
    assert found["http://localhost/archive/2024/"] == "2024-06-04T09:00:00Z"
    assert found["http://localhost/archive/2023/"] == "2023-02-02T10:00:00Z"


def test_a_year_or_month_without_public_posts_is_not_found(client, content):
    """Else every month since 1970 would be a page for crawlers to find, all of them empty."""
    content.post("May", published_at=datetime(2024, 5, 3))
    content.post("Draft in June", published_at=datetime(2024, 6, 3), status="draft")
    content.post("Next year", published_at=utcnow() + timedelta(days=400))  # scheduled
    assert client.get("/archive/2024/5/").status_code == 200
    for empty in ("/archive/2024/6/", "/archive/2023/", "/archive/1970/1/"):
        assert client.get(empty).status_code == 404, empty
    year = (utcnow() + timedelta(days=400)).year
    assert client.get(f"/archive/{year}/").status_code == 404  # its post is not out yet
