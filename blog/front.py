"""What the reading design adds to the public pages: the front page's arrangement, its
section blocks, pictures for related posts, authors' bios and the story's standfirst.

Reads through the statements and maps of blog/posts/listings.py; kept out of it so that the front
page's layout choices live in one place.
"""

import re
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import unquote

from flask import g
from markupsafe import Markup
from sqlalchemy import bindparam, select, union_all
from sqlalchemy.exc import SQLAlchemyError

from blog.cache import memo_by_stamp
from blog.extensions import db
from blog.media import srcset
from blog.models import AuthorPhoto, Category, Media, User
from blog.paths import path_for, script_root
from blog.posts import listings
from blog.posts.listings import (
    CARD_COLUMNS,
    NEWEST,
    POSTS,
    PUBLIC,
    Card,
    CategoryLink,
    PostLink,
    Thumb,
)

# Cards in a row of the front page's grid at its widest: the grid only ever holds a multiple
# of this, so that no row ends with a lone card (4 columns, 2 on tablets, 1 on phones).
GRID_COLUMNS = 4
# Stories beside the lead, at least: the first with its picture, the rest headlines.
BESIDE_LEAD = 2
SECTION_CARDS = 4


def choose_lead(items: list[Card], pinned: bool = False) -> Card | None:
    """Return the story the front page leads with: the editor's first featured post (pinned:
    items starts with the featured ones), else the newest one with a picture, else the
    newest."""
    if pinned and items:
        return items[0]
    for card in items:
        if card.image is not None:
            return card
    return items[0] if items else None


@dataclass
class Front:
    """Page 1 of the home page, arranged: one lead, the stories beside it, a uniform grid."""

    lead: Card | None
    beside: list[Card] = field(default_factory=list)
    grid: list[Card] = field(default_factory=list)
    sections: list["Section"] = field(default_factory=list)

    @property
    def shown(self) -> list[Card]:
        return ([self.lead] if self.lead else []) + self.beside + self.grid


def arrange_front(items: list[Card], pinned: bool = False) -> Front:
    """Split page 1's stories (newest first) into the lead, those beside it and the grid.

    The grid takes the largest multiple of GRID_COLUMNS that leaves at least BESIDE_LEAD
    stories beside the lead; whatever is left goes beside it, as headlines.
    """
    lead = choose_lead(items, pinned)
    rest = [card for card in items if card is not lead]
    grid_count = max(0, len(rest) - BESIDE_LEAD) // GRID_COLUMNS * GRID_COLUMNS
    beside = rest[: len(rest) - grid_count]
    # The first story beside the lead shows a picture: bring one with a picture up.
    with_picture = next((card for card in beside if card.image), None)
    if with_picture is not None and beside[0] is not with_picture:
        beside.remove(with_picture)
        beside.insert(0, with_picture)
    return Front(lead, beside, rest[len(beside) :])


@dataclass(frozen=True, slots=True)
class Section:
    category: CategoryLink
    cards: list[Card]


@cache
def _section_statement(count: int):
    """Return the newest public posts of `count` categories (by slug), SECTION_CARDS and
    the posts already shown above more each, in one statement; each branch walks the
    category's date index."""
    branches = []
    for n in range(count):
        category_id = (
            select(Category.id).where(Category.slug == bindparam(f"slug{n}")).scalar_subquery()
        )
        branches.append(
            select(
                select(*CARD_COLUMNS)
                .where(PUBLIC, POSTS.c.category_id == category_id)
                .order_by(*NEWEST)
                .limit(bindparam("limit"))
                .subquery()
            )
        )
    return union_all(*branches)


def _whole_rows(count: int) -> int:
    """Return how many of count cards a block shows: 4, 2 or 1, so that no row of its grid
    (four columns, two on tablets) ends with a card alone."""
    return next(n for n in (SECTION_CARDS, 2, 1) if n <= count)


def front_sections(shown: list[Card], categories: list[CategoryLink]) -> list[Section]:
    """Return a block per category, in the menu's order: its newest posts not shown above.

    One statement for every category, kept until the content or the schedule changes (the
    page cache keeps whole pages too, but not for a signed-in editor).
    """
    if not categories:
        return []

    def load() -> list[Section]:
        params = {f"slug{n}": category.slug for n, category in enumerate(categories)}
        params |= {"limit": SECTION_CARDS + len(shown), "now": listings.utcnow()}
        rows = db.session.execute(_section_statement(len(categories)), params)
        skip = {card.id for card in shown}
        by_category: dict[str, list[Card]] = {}
        for card in listings.cards(row for row in rows if row.id not in skip):
            by_category.setdefault(card.category.slug, []).append(card)
        sections = []
        for category in categories:
            found = by_category.get(category.slug, [])
            found.sort(key=lambda card: (card.published_at, card.id), reverse=True)
            if found:
                sections.append(Section(category, found[: _whole_rows(len(found))]))
        return sections

    # What page 1 shows follows the content too; checked, so that a page 1 read in another
    # state (a posts-per-page change between the two reads) never gets the wrong blocks.
    key = tuple(card.id for card in shown)
    due = listings.next_scheduled_time()
    kept_key, sections = memo_by_stamp(
        f"front_sections:{script_root()}:{due}", lambda: (key, load())
    )
    return sections if kept_key == key else load()


def front_page(items: list[Card], pinned: bool = False) -> Front:
    """Return page 1 of the home page arranged, with a block per section below."""
    front = arrange_front(items, pinned)
    front.sections = front_sections(front.shown, listings.nav_categories())
    return front


def with_pictures(links: list[PostLink]) -> list[Card]:
    """Return related posts as cards (picture, section, byline), in the order given."""
    if not links:
        return []
    slugs = [unquote(link.url.rsplit("/", 1)[-1]) for link in links]
    rows = db.session.execute(select(*CARD_COLUMNS).where(POSTS.c.slug.in_(slugs)))
    by_slug = {card.slug: card for card in listings.cards(rows)}
    return [by_slug[slug] for slug in slugs if slug in by_slug]


def author_bio(username: str) -> str:
    """Return an author's bio from a map of every author's, read once per change."""

    def load() -> dict[str, str]:
        return dict(db.session.execute(select(User.username, User.bio)).all())

    return memo_by_stamp("author_bios", load).get(username, "")


def author_photo(username: str) -> Thumb | None:
    """Return an author's photo with its resized copies, from a map of every author's, read
    once per change; None for an author without one."""

    def load() -> dict[str, Thumb]:
        rows = db.session.execute(
            select(User.username, Media.filename, Media.width, Media.height, Media.variants)
            .join(AuthorPhoto, AuthorPhoto.user_id == User.id)
            .join(Media, Media.id == AuthorPhoto.media_id)
        )
        return {
            row.username: Thumb(
                _media_url(row.filename), srcset(row, _media_url), row.width, row.height
            )
            for row in rows
        }

    # Per script root as well: the addresses start with it.
    return memo_by_stamp(f"author_photos:{script_root()}", load).get(username)


def _media_url(filename: str) -> str:
    return path_for("public.media", filename=filename)


def latest_cards(count: int = 4) -> list[Card]:
    """Return the newest public posts as cards (for the page that was not found), or none
    while the database is out of reach: the 404 page must still be a 404."""
    if g.get("database_down"):
        return []
    try:
        rows = db.session.execute(
            select(*CARD_COLUMNS).where(PUBLIC).order_by(*NEWEST).limit(count),
            {"now": listings.utcnow()},
        )
        return listings.cards(rows)
    except SQLAlchemyError:
        db.session.rollback()
        return []


_SPACE = re.compile(r"\s+")


def _words(text: str, length: int) -> str:
    # Without spaces: a derived excerpt puts one between paragraphs, the tags none.
    return _SPACE.sub("", text).rstrip("…")[:length]


def standfirst(excerpt: str, body_html: str) -> str:
    """Return the excerpt to show under a story's headline, or "" when it only repeats the
    body's first words (an excerpt derived from the body rather than written)."""
    if not excerpt.strip():
        return ""
    start = _words(excerpt, 50)
    # Only the body's beginning: a derived excerpt is its first words.
    body = _words(Markup(body_html[: 4 * len(excerpt) + 2000]).striptags(), len(start))
    return "" if body == start else excerpt


def initials(name: str) -> str:
    """Return up to two initials for the monogram of an author without a photo."""
    letters = [part[0] for part in name.split() if part[:1].isalnum()]
    return "".join(letters[:1] + letters[1:][-1:]).upper() or "?"
