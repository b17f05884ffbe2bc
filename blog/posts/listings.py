"""Publishing rules and the queries every public page runs, in one place.

Public pages read plain rows through Core statements built once per process, with bound
parameters: building a statement costs more than running it on an indexed table, and ORM
objects cost more again. Categories and bylines come from maps kept per content change.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import ColumnElement, Row, and_, bindparam, exists, func, or_, select, true

from blog.cache import memo_by_stamp
from blog.dates import local_dates
from blog.extensions import db
from blog.media import srcset
from blog.models import Category, Media, Post, Tag, User, post_tags, reading_minutes, utcnow
from blog.paths import path_for, script_root
from blog.posts.status import public, scheduled
from blog.settings import load_settings
from blog.slugs import slugify

POSTS = Post.__table__
MEDIA = Media.__table__
NOW = bindparam("now")


def is_public(now: datetime | None = None) -> ColumnElement[bool]:
    """Published and due (blog.posts.status.public), for ORM queries."""
    return public(Post.status, Post.published_at, now or utcnow())


def is_scheduled(now: datetime | None = None) -> ColumnElement[bool]:
    """Published and due later (blog.posts.status.scheduled), for ORM queries."""
    return scheduled(Post.status, Post.published_at, now or utcnow())


# The same rule for the prebuilt statements, with the time bound when they run.
PUBLIC = public(POSTS.c.status, POSTS.c.published_at, NOW)


@dataclass(frozen=True, slots=True)
class Byline:
    username: str
    display_name: str
    url: str

    @classmethod
    def of(cls, username: str, display_name: str) -> "Byline":
        return cls(username, display_name, path_for("public.author", username=username))


@dataclass(frozen=True, slots=True)
class CategoryLink:
    name: str
    slug: str
    url: str
    parent_id: int | None = None  # set in category_links(): the tree comes with the names

    @classmethod
    def of(cls, name: str, slug: str, parent_id: int | None = None) -> "CategoryLink":
        return cls(name, slug, path_for("public.category", slug=slug), parent_id)


@dataclass(frozen=True, slots=True)
class Thumb:
    """A card's picture: the post's featured image, with its resized copies for srcset."""

    src: str
    srcset: str
    width: int
    height: int


# Not frozen: a frozen dataclass sets each field through object.__setattr__, five times the
# cost of building a card, and a listing builds one per post.
@dataclass(slots=True)
class Card:
    """What a listing shows of a post: plain values, its links and dates ready to print."""

    id: int
    title: str
    slug: str
    excerpt: str
    published_at: datetime
    word_count: int
    category: CategoryLink
    author: Byline
    url: str
    published: tuple[str, str]  # (datetime attribute, text) in the site's zone
    image: Thumb | None = None

    @property
    def reading_minutes(self) -> int:
        return reading_minutes(self.word_count)


@dataclass(frozen=True, slots=True)
class PostLink:
    """What a link to another post shows."""

    title: str
    url: str
    published: tuple[str, str] | None = None  # as on a card
    author: Byline | None = None


def post_link(title: str, slug: str, published_at=None, author: Byline | None = None) -> PostLink:
    published = local_dates(published_at, load_settings().zone) if published_at else None
    return PostLink(title, path_for("public.post", slug=slug), published, author)


# Links start with the script root, so each map is kept per root as well as per change.
def _categories() -> dict[int, CategoryLink]:
    """Return every category by id, in the masthead's order (CATEGORY_ORDER)."""
    stmt = select(Category.id, Category.name, Category.slug, Category.parent_id)
    rows = db.session.execute(stmt.order_by(*CATEGORY_ORDER))
    return {id_: CategoryLink.of(name, slug, parent) for id_, name, slug, parent in rows}


def _bylines() -> dict[int, Byline]:
    rows = db.session.execute(select(User.id, User.username, User.display_name))
    return {id_: Byline.of(username, name) for id_, username, name in rows}


def category_link(category_id: int) -> CategoryLink:
    """Return a category's name and link from the map kept per content change."""
    return _lookup("categories", _categories, category_id)


def category_links() -> dict[int, CategoryLink]:
    """Return every category's name, link and parent by id, read once per content change."""
    return _memo("categories", _categories)


def byline(author_id: int) -> Byline:
    return _lookup("bylines", _bylines, author_id)


def _lookup(name: str, load, key: int):
    found = _memo(name, load).get(key)
    # Missing: created by a commit that raced this request after the map was read.
    return found or load()[key]


def _memo(name: str, load):
    return memo_by_stamp(f"{name}:{script_root()}", load)


# Alphabetical whatever the case: SQLite's default collation would put "Zoo" before "apple".
CATEGORY_ORDER = (func.lower(Category.name), Category.name, Category.id)


def public_category_ids() -> frozenset[int]:
    """Return the ids of the categories that are pages of the site, read once per change.

    A category is one when it or one of its subcategories lists a public post; one with
    none is no page, exactly as one that does not exist (see public_archive).
    """

    def load():
        listed = lists_public_post("category", Category.id)
        own = db.session.scalars(select(Category.id).where(listed), {"now": utcnow()})
        links, found = category_links(), set()
        for id_ in own:
            # Up through the parents: each holds this one's posts (category_tree.family).
            while id_ is not None and id_ not in found and id_ in links:
                found.add(id_)
                id_ = links[id_].parent_id
        return frozenset(found)

    # A scheduled post that falls due may bring its category in: kept until then too.
    return _memo(f"public_categories:{next_scheduled_time()}", load)


def nav_categories() -> list[CategoryLink]:
    """Return the masthead's categories: those public_archive shows, in CATEGORY_ORDER."""

    def load():
        public = public_category_ids()
        return [link for id_, link in category_links().items() if id_ in public]

    # Every page's masthead asks: the list is kept as long as the set it comes from.
    return _memo(f"nav_categories:{next_scheduled_time()}", load)


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def window(self, edge: int = 2, around: int = 2) -> list[int]:
        """Return the page numbers worth a link: both ends and the neighbourhood of this one.

        Computed, not filtered from every page number: the cost must not grow with the
        archive.
        """
        last = self.pages
        numbers = set(range(1, min(edge, last) + 1))
        numbers |= set(range(max(1, last - edge + 1), last + 1))
        numbers |= set(range(max(1, self.page - around), min(last, self.page + around) + 1))
        return sorted(numbers)


def archive_posts(kind: str, archive_id) -> ColumnElement[bool]:
    """Which posts a category, tag or author archive holds, given its id (a value or column).

    The archive's pages, its feeds and whether it is public at all (public_archive) all
    come from this one definition.
    """
    if kind == "category":
        # A list: the category's family (category_tree.family); one id or a column: its own posts.
        if isinstance(archive_id, list) or getattr(archive_id, "expanding", False):
            return POSTS.c.category_id.in_(archive_id)
        return POSTS.c.category_id == archive_id
    if kind == "author":
        return POSTS.c.author_id == archive_id
    # Walks the date index, checking each post against the list of the tag's posts.
    return POSTS.c.id.in_(select(post_tags.c.post_id).where(post_tags.c.tag_id == archive_id))


# Each public listing: which posts it holds, with its value as the bound parameter "value".
LISTINGS: dict[str, ColumnElement[bool]] = {
    "home": true(),
    **{kind: archive_posts(kind, bindparam("value")) for kind in ("author", "tag")},
    # Its value is the category's family; with one id, IN (?) is planned as = ?.
    "category": archive_posts("category", bindparam("value", expanding=True)),
    # The same walk, probing each post for the tag instead of building that list first:
    # cheaper for a page near either end of a tag on many posts, dearer deep inside it.
    "tag near an end": exists().where(
        post_tags.c.post_id == POSTS.c.id, post_tags.c.tag_id == bindparam("value")
    ),
    "month": and_(
        POSTS.c.published_at >= bindparam("value"), POSTS.c.published_at < bindparam("end")
    ),
}

# Up to this many posts, a tag's pages are read from the tag's side (_few_tagged): the date
# walk of LISTINGS["tag"] would cross the whole archive to find a rare tag's posts.
FEW_POSTS = 500
# Pages this close to either end of a bigger tag probe each post for the tag.
NEAR_PAGES = 5
_TAGGED = select(POSTS.c.id, POSTS.c.status, POSTS.c.published_at).where(
    POSTS.c.id.in_(select(post_tags.c.post_id).where(post_tags.c.tag_id == bindparam("value")))
)


def _few_tagged(tag_id: int, now: datetime) -> list[int]:
    """Return the ids of a tag's public posts, newest first, looked up by id.

    Public is checked here, not in SQL: with status in the query, SQLite prefers walking
    the date index over the whole archive to looking up these few ids.
    """
    rows = db.session.execute(_TAGGED, {"value": tag_id})
    shown = [(at, id_) for id_, status, at in rows if public(status, at, now)]
    return [id_ for _, id_ in sorted(shown, reverse=True)]


CARD_COLUMNS = (
    POSTS.c.id,
    POSTS.c.title,
    POSTS.c.slug,
    POSTS.c.excerpt,
    POSTS.c.published_at,
    POSTS.c.word_count,
    POSTS.c.category_id,
    POSTS.c.author_id,
    POSTS.c.image_id,
)


NEWEST = (POSTS.c.published_at.desc(), POSTS.c.id.desc())
OLDEST = (POSTS.c.published_at, POSTS.c.id)
# The posts after a given one (published_at "before", id "before_id") in the newest-first
# order. The statement also binds "now" to that post's date, so the date index is ranged
# from there down: where the page starts, not from the present.
AFTER = or_(POSTS.c.published_at < bindparam("before"), POSTS.c.id < bindparam("before_id"))


@cache
def _listing_statements(listing: str):
    """Return the count and the page statements of a listing, built once per process.

    A page is chosen by an index-only walk over ids (inner query), and only its rows are
    read in full: SQLite would otherwise read every skipped row. "after" seeks to the post
    before a page's first instead of walking over every post in front of it.
    """
    where = and_(PUBLIC, LISTINGS[listing])
    count = select(func.count()).select_from(POSTS).where(where)
    pages = {}
    for name, order, condition in (
        ("newest", NEWEST, where),
        ("oldest", OLDEST, where),
        ("after", NEWEST, and_(where, AFTER)),
    ):
        ids = (
            select(POSTS.c.id)
            .where(condition)
            .order_by(*order)
            .limit(bindparam("limit"))
            .offset(bindparam("offset"))
            .subquery()
        )
        pages[name] = select(*CARD_COLUMNS).join(ids, ids.c.id == POSTS.c.id).order_by(*order)
    return count, pages


def cards(rows) -> list[Card]:
    """Turn rows of CARD_COLUMNS into cards."""
    categories, bylines = _memo("categories", _categories), _memo("bylines", _bylines)
    zone = load_settings().zone
    rows = list(rows)
    thumbs = _thumbs({row.image_id for row in rows if row.image_id})
    return [
        Card(
            *row[:6],
            categories.get(row.category_id) or category_link(row.category_id),
            bylines.get(row.author_id) or byline(row.author_id),
            path_for("public.post", slug=row.slug),
            local_dates(row.published_at, zone),
            thumbs.get(row.image_id),
        )
        for row in rows
    ]


_THUMBS = select(MEDIA.c.id, MEDIA.c.filename, MEDIA.c.width, MEDIA.c.height, MEDIA.c.variants)


def _thumbs(ids: set[int]) -> dict[int, Thumb]:
    """Return the pictures of a page's cards: one query, and none for a page without any."""
    if not ids:
        return {}
    rows = db.session.execute(_THUMBS.where(MEDIA.c.id.in_(ids)))

    def url(name: str) -> str:
        return path_for("public.media", filename=name)

    return {
        row.id: Thumb(url(row.filename), srcset(row, url), row.width, row.height) for row in rows
    }


def cards_by_id(ids: list[int]) -> list[Card]:
    """Return the cards of these posts in this order, leaving out any that is gone."""
    rows = db.session.execute(select(*CARD_COLUMNS).where(POSTS.c.id.in_(ids)))
    by_id = {card.id: card for card in cards(rows)}
    return [by_id[i] for i in ids if i in by_id]


def paginate_posts(
    listing: str, value=None, *, page: int, per_page: int, key: str, **params
) -> Page | None:
    """Return one page of a listing's public posts, newest first; None past the end.

    key names the listing (e.g. its path) for its count and where its pages start, which
    are kept until the content or the schedule changes. Each page costs what the first
    does, however deep: see _page_rows.
    """
    count, _ = _listing_statements(listing)
    # The schedule first, then the time: a post that falls due in between is then counted
    # under the next one's key (read again next time), never left out under its own.
    due = next_scheduled_time()
    params |= {"value": value, "now": utcnow()}
    if "end" in params:
        # A month: "<= now" and "< end" are both upper bounds, and SQLite ranges the index
        # over one of them; with now no later than end, either starts at the month's end
        # instead of walking from the present down through every newer post.
        params["now"] = min(params["now"], params["end"])
    total = memo_by_stamp(f"count:{key}:{due}", lambda: db.session.scalar(count, params))
    offset = (page - 1) * per_page
    if page < 1 or (page > 1 and offset >= total):
        return None
    if listing == "tag" and total <= FEW_POSTS:
        ids = _few_tagged(value, params["now"])[offset : offset + per_page]
        return Page(items=cards_by_id(ids), page=page, per_page=per_page, total=total)
    # Page 1 needs no start: a listing only ever read there keeps none.
    starts = _page_starts(key, due) if offset else {}
    rows = _page_rows(listing, params, offset, per_page, total, starts)
    return Page(items=cards(rows), page=page, per_page=per_page, total=total)


def _page_starts(key: str, due: datetime | None) -> dict[int, tuple[datetime, int]]:
    """Return where each page of a listing starts, as far as known: offset -> (date, id).

    Kept until the content changes or the next scheduled post falls due (which moves every
    page after it by one post): at most one entry a page, about 190 bytes (2 MB for every
    page of 100,000 posts).
    """
    kept = memo_by_stamp(f"page_starts:{key}", dict)
    starts = kept.get(due)
    if starts is None:
        kept.clear()
        starts = kept[due] = {}
    return starts


def _page_rows(listing: str, params: dict, offset: int, per_page: int, total: int, starts):
    """Return the rows of the page at offset: one statement, whatever the page.

    A page whose start (the post just before it) is known seeks there through the index
    and reads per_page rows, as the first page does. The first request for a page since
    the content or the schedule changed walks instead, from the nearest start known or
    the nearer end of the listing, and reads one row more to learn its start. A walk over
    the index costs about 40 ns a post in SQLite: 2 ms once for the middle of 100,000
    posts, where numbering them all at once (a window function) costs 75 ms. Each page
    also tells where the next one starts: following "Older" links never walks.
    """
    if offset == 0:
        return _read(listing, "newest", params, per_page, 0, per_page)
    start = starts.get(offset)
    if start is not None:
        rows = _read(listing, "after", _after(params, start), per_page, 0, per_page)
    else:
        rows = _walk(listing, params, offset, per_page, total, starts)
    if len(rows) == per_page and offset + per_page < total:
        starts.setdefault(offset + per_page, (rows[-1].published_at, rows[-1].id))
    return rows


def _walk(listing: str, params: dict, offset: int, per_page: int, total: int, starts):
    """Return the rows of the page at offset, read from the nearest place, noting its start."""
    # list(): another thread may add a start meanwhile.
    below = max((n for n in list(starts) if n < offset), default=0)
    size = min(per_page, total - offset)
    if total - offset - size < offset - below:
        rows = _read(listing, "oldest", params, size + 1, total - offset - size, per_page)
        rows.reverse()
        if len(rows) <= size:  # the content changed meanwhile: no start to learn
            return rows
    elif below:
        after = _after(params, starts[below])
        rows = _read(listing, "after", after, per_page + 1, offset - below - 1, per_page)
    else:
        rows = _read(listing, "newest", params, per_page + 1, offset - 1, per_page)
    if rows:
        starts[offset] = (rows[0].published_at, rows[0].id)
    return rows[1:]


def _after(params: dict, start: tuple[datetime, int]) -> dict:
    """Return the parameters of the "after" statement for the posts after start."""
    before, before_id = start
    after = params | {"before": before, "before_id": before_id, "now": before}
    if "end" in params:
        # A month's other upper bound, moved to the same place (as in paginate_posts):
        # "< before + 1 µs" is "<= before" at the column's precision, ties included.
        after["end"] = min(params["end"], before + timedelta(microseconds=1))
    return after


def _read(listing: str, order: str, params: dict, limit: int, offset: int, per_page: int):
    """Run a page statement; a tag walk of a few pages probes each post for the tag."""
    if listing == "tag" and offset < NEAR_PAGES * per_page:
        listing = "tag near an end"
    statement = _listing_statements(listing)[1][order]
    return db.session.execute(statement, params | {"limit": limit, "offset": offset}).all()


def public_slug(slug: str) -> str | None:
    """Return the slug of the public post an imported WordPress slug names, if any."""
    # The import turned underscores into hyphens: the slug as given wins, then as imported.
    stmt = select(Post.slug).where(Post.slug.in_({slug, slugify(slug)}), is_public())
    found = db.session.scalars(stmt).all()
    return slug if slug in found else next(iter(found), None)


def post_by_wp_id(wp_id: int) -> Post | None:
    """Return the public post imported from WordPress with this id (its old /?p=ID link)."""
    return db.session.scalar(select(Post).where(Post.wp_id == wp_id, is_public()))


def next_scheduled_time() -> datetime | None:
    """Return when the next scheduled post falls due: cached pages expire then."""
    now = utcnow()
    due = memo_by_stamp(
        "next_scheduled",
        lambda: db.session.scalar(select(func.min(Post.published_at)).where(is_scheduled(now))),
    )
    if due is not None and due <= now:
        # Its time has come since it was read: look for the one after it.
        due = db.session.scalar(select(func.min(Post.published_at)).where(is_scheduled(now)))
    return due


# What an archive's page shows of its category, tag or author: a row, not an ORM object
# (which costs four times the query). Each is found by its slug (an author by username).
CATEGORIES, TAGS, USERS = Category.__table__, Tag.__table__, User.__table__
ARCHIVES = {
    "category": (CATEGORIES.c.slug, CATEGORIES.c.id, CATEGORIES.c.name, CATEGORIES.c.description),
    "tag": (TAGS.c.slug, TAGS.c.id, TAGS.c.name),
    "author": (USERS.c.username, USERS.c.id, USERS.c.display_name, USERS.c.bio),
}


def lists_public_post(kind: str, archive_id: ColumnElement) -> ColumnElement[bool]:
    """SQL that is true when the archive whose id is in archive_id lists a public post."""
    if kind == "tag":
        # The posts of archive_posts("tag"), found from the tag's side: its index gives the
        # tag's few posts to check, where the date walk would cross every public post.
        public_post = exists().where(POSTS.c.id == post_tags.c.post_id, PUBLIC)
        return exists().where(post_tags.c.tag_id == archive_id, public_post)
    # One probe of the archive's (id, status, published_at) index.
    return exists().where(PUBLIC, archive_posts(kind, archive_id))


@cache
def _archive_statement(kind: str):
    key, id_, *shown = ARCHIVES[kind]
    if kind == "category":  # and whether it lists a public post of its own
        listed = lists_public_post(kind, id_).label("listed")
        return select(id_, *shown, listed).where(key == bindparam("key"))
    return select(id_, *shown).where(key == bindparam("key"), lists_public_post(kind, id_))


def public_archive(kind: str, key: str) -> Row | None:
    """Return a category's, tag's or author's row (id, name ...) if it lists a public post.

    One with none (no posts, or only drafts, scheduled or trashed ones) is no page of the
    site, exactly as one that does not exist: else guessing its name would confirm a story
    before it is out. Its pages, feeds and old addresses all ask here. A category with
    public posts only in its subcategories is a page: it lists theirs.
    """
    found = db.session.execute(_archive_statement(kind), {"key": key, "now": utcnow()}).first()
    if kind == "category" and found is not None and not found.listed:
        # None of its own: public still if a subcategory has one (a memo, mostly no query).
        return found if found.id in public_category_ids() else None
    return found


def archive_months(offset_minutes: int) -> list[tuple[int, int, int]]:
    """Return (year, month, count) for every month with public posts, newest first.

    Months are counted in the site's time zone at its current UTC offset. The count scans
    every post, so it is kept until the content or the schedule changes.
    """
    if db.engine.dialect.name == "sqlite":
        local = func.datetime(Post.published_at, f"{offset_minutes:+d} minutes")
        year, month = func.strftime("%Y", local), func.strftime("%m", local)
    else:
        local = Post.published_at + timedelta(minutes=offset_minutes)
        year, month = func.extract("year", local), func.extract("month", local)
    stmt = (
        select(year.label("y"), month.label("m"), func.count())
        .where(is_public())
        .group_by("y", "m")
        .order_by(db.text("y DESC, m DESC"))
    )
    return memo_by_stamp(
        f"archive_months:{offset_minutes}:{next_scheduled_time()}",
        lambda: [(int(y), int(m), n) for y, m, n in db.session.execute(stmt)],
    )
