"""Deep pages: every page of every listing holds exactly what a plain OFFSET query gives.

A page is read from where it starts (the post just before it), learned the first time it
is asked for and kept per content change (blog/posts/listings.py, _page_rows): these tests ask for
pages in orders that take every way there (a seek, a walk from a start already known, from
either end) and compare each with LIMIT/OFFSET over the same rule, ties in published_at,
drafts, trash and scheduled posts included, before and after the listing changes.
"""

import random
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import and_, select

from blog.dates import month_range
from blog.extensions import db
from blog.models import Category, Post, Tag, User, utcnow
from blog.posts.listings import archive_posts, is_public
from blog.render import body_fields
from blog.settings import load_settings

PER_PAGE = 10
START = datetime(2024, 1, 1, 12)


def titles(response) -> list[str]:
    assert response.status_code == 200, response.request.url
    # The listing's own cards: the home page's section blocks below them repeat older posts.
    listing = response.text.split('<div class="front-sections">')[0]
    return re.findall(r'class="card-title"><a href="[^"]+">([^<]+)</a>', listing)


@pytest.fixture
def archive(app, content):
    """About 300 posts over 2024: ties of three in published_at, drafts, trash, two tags.

    Posts go in straight through the session, in one commit, in an order that is not the
    order of their dates: ids do not follow dates, and a tie is broken by id.
    """
    app.config["PAGE_CACHE"] = False  # full renders: each request reads its page
    content.post("Seed", category="Science", tags=["Harbour", "Inland"], author="amara")
    content.post("Other seed", category="Culture")
    rng = random.Random(14)
    with app.app_context():
        categories = db.session.scalars(select(Category)).all()
        harbour, inland = db.session.scalars(select(Tag).order_by(Tag.slug)).all()
        authors = db.session.scalars(select(User)).all()
        numbers = list(range(300))
        rng.shuffle(numbers)
        for n in numbers:
            db.session.add(
                Post(
                    title=f"P{n:03d}",
                    slug=f"p{n:03d}",
                    body_source="Text.",
                    **body_fields("Text.", "markdown").as_dict(),
                    # Three posts at each time: pages of ten end inside a tie.
                    published_at=START + timedelta(hours=n // 3 * 84),
                    status="draft" if n % 17 == 0 else "trash" if n % 23 == 0 else "published",
                    category=categories[n % 2],
                    author_id=authors[n % 2].id,
                    tags=[harbour] + ([inland] if n % 3 else []),
                )
            )
        db.session.commit()
    return app


def listings(app) -> dict[str, object]:
    """Return path -> which posts the listing holds, for every kind of listing."""
    with app.app_context():
        category = db.session.scalar(select(Category).where(Category.slug == "science"))
        tag = db.session.scalar(select(Tag).where(Tag.slug == "inland"))
        author = db.session.scalar(select(User).where(User.username == "amara"))
        zone = load_settings().zone
    year = month_range(2024, 1, zone)[0], month_range(2024, 12, zone)[1]
    month = month_range(2024, 6, zone)
    return {
        "/": True,
        "/category/science": archive_posts("category", category.id),
        "/tag/inland": archive_posts("tag", tag.id),
        "/author/amara": archive_posts("author", author.id),
        "/archive/2024/": and_(Post.published_at >= year[0], Post.published_at < year[1]),
        "/archive/2024/6/": and_(Post.published_at >= month[0], Post.published_at < month[1]),
    }


def expected(app, which, page: int, now=None) -> list[str]:
    """Return the titles of a page as LIMIT/OFFSET over the publishing rule gives them."""
    stmt = (
        select(Post.title)
        .where(is_public(now), which)
        .order_by(Post.published_at.desc(), Post.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    )
    with app.app_context():
        return list(db.session.scalars(stmt))


def page_count(app, which, now=None) -> int:
    with app.app_context():
        found = db.session.scalars(select(Post.id).where(is_public(now), which)).all()
    return -(-len(found) // PER_PAGE)


def url(path: str, page: int) -> str:
    return path if page == 1 else f"{path}?page={page}"


def visiting_orders(pages: int) -> list[int]:
    """Return pages in an order that takes every way to a page, then all of them shuffled."""
    middle = pages // 2
    # A seek, the next page's start, a walk from the oldest end, a walk from a start below,
    # a walk from the newest end, a seek again, then anything.
    picked = [middle, middle, middle + 1, pages, pages - 1, middle + 3, 2, 3, middle - 2]
    rest = list(range(1, pages + 1))
    random.Random(pages).shuffle(rest)
    return [p for p in picked if 1 <= p <= pages] + rest + rest


@pytest.mark.parametrize(
    "few_posts, near_pages",
    [(500, 5), (3, 5), (3, 0)],
    ids=["tag read by id", "tag probed near a start", "tag walked with its list"],
)
def test_every_page_of_every_listing_holds_what_offset_gives(
    archive, client, monkeypatch, few_posts, near_pages
):
    # The ways of reading a tag's page (blog.posts.listings.FEW_POSTS, NEAR_PAGES), each in turn.
    monkeypatch.setattr("blog.posts.listings.FEW_POSTS", few_posts)
    monkeypatch.setattr("blog.posts.listings.NEAR_PAGES", near_pages)
    for path, which in listings(archive).items():
        pages = page_count(archive, which)
        assert pages >= 3, path
        for page in visiting_orders(pages):
            assert titles(client.get(url(path, page))) == expected(archive, which, page), (
                path,
                page,
            )
        assert client.get(f"{path}?page={pages + 1}").status_code == 404


def test_pages_follow_a_publish_a_trash_and_a_backdated_post(archive, client, content):
    home = listings(archive)["/"]
    pages = page_count(archive, home)
    visited = [pages // 2, pages // 2 + 1, pages - 2, 4]
    for page in visited:  # their starts are known now
        client.get(url("/", page))
    content.post("Newest")  # every page moves one post down
    content.post("Backdated", published_at=START + timedelta(hours=1500, minutes=1))
    with archive.app_context():
        post = db.session.scalar(select(Post).where(Post.title == "P150"))
        post.status = "trash"
        db.session.commit()
    pages = page_count(archive, home)
    for page in visited + list(range(1, pages + 1)):
        assert titles(client.get(url("/", page))) == expected(archive, home, page), page


def test_pages_follow_a_scheduled_post_when_its_time_comes(archive, client, content, monkeypatch):
    # A week ahead of the clock, whatever the date the suite runs.
    content.post("Scheduled", published_at=utcnow() + timedelta(days=7))
    home = listings(archive)["/"]
    pages = page_count(archive, home)
    for page in range(1, pages + 1):  # every start is known now
        assert titles(client.get(url("/", page))) == expected(archive, home, page), page
    later = utcnow() + timedelta(days=8)
    monkeypatch.setattr("blog.posts.listings.utcnow", lambda: later)
    # No commit in between: the content is the same, only the clock moved on, and the
    # scheduled post at the top moves every page down by one.
    for page in range(page_count(archive, home, later), 0, -1):
        assert titles(client.get(url("/", page))) == expected(archive, home, page, later), page
    assert titles(client.get("/"))[0] == "Scheduled"


def test_a_deep_page_is_one_statement_the_first_time_and_after(archive, client, count_queries):
    client.get("/")  # the count, the maps and the settings, read once per change
    pages = page_count(archive, True)
    for page in (pages // 2, pages // 2, pages // 2 + 1, pages - 1, 3):
        response, statements = count_queries(lambda page=page: client.get(url("/", page)))
        assert response.status_code == 200
        assert len(statements) == 1, (page, statements)
