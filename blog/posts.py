"""Publishing rules and the queries every public page runs, in one place."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, select, tuple_, union_all
from sqlalchemy.orm import joinedload, selectinload

from blog.cache import memo_by_stamp
from blog.extensions import db
from blog.models import Category, Post, Tag, User, post_tags, utcnow


def is_public(now: datetime | None = None) -> ColumnElement[bool]:
    """Published and due: a scheduled post turns public when its time comes, no job needed."""
    return and_(Post.status == "published", Post.published_at <= (now or utcnow()))


def _with_card_relations(stmt):
    return stmt.options(joinedload(Post.author), joinedload(Post.category), selectinload(Post.tags))


@dataclass
class Page:
    items: list[Post]
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


def paginate_posts(*criteria: Any, page: int, per_page: int, key: str) -> Page | None:
    """Return one page of public posts matching criteria, newest first; None past the end.

    key names the listing (e.g. "category:3") for the count, which is kept until the
    content or the schedule changes. The page's ids come from an index-only query, read
    from whichever end of the listing is nearer, so the last page costs what the first
    does; only those ten rows are then joined to their authors and categories.
    """
    now = utcnow()
    where = and_(is_public(now), *criteria)
    total = memo_by_stamp(
        f"count:{key}:{next_scheduled_time()}",
        lambda: db.session.scalar(select(func.count()).select_from(Post).where(where)),
    )
    offset = (page - 1) * per_page
    if page < 1 or (page > 1 and offset >= total):
        return None
    newest_first = (Post.published_at.desc(), Post.id.desc())
    if offset > total // 2:
        # Past the middle: walk in from the oldest end, then put the rows back in order.
        size = min(per_page, total - offset)
        stmt = select(Post.id).where(where).order_by(Post.published_at, Post.id)
        ids = list(
            reversed(db.session.scalars(stmt.limit(size).offset(total - offset - size)).all())
        )
    else:
        stmt = select(Post.id).where(where).order_by(*newest_first)
        ids = db.session.scalars(stmt.limit(per_page).offset(offset)).all()
    items = []
    if ids:
        rows = db.session.scalars(
            _with_card_relations(select(Post).where(Post.id.in_(ids)))
        ).unique()
        by_id = {post.id: post for post in rows}
        items = [by_id[i] for i in ids if i in by_id]
    return Page(items=items, page=page, per_page=per_page, total=total)


def tag_criteria(tag: Tag) -> ColumnElement[bool]:
    return Post.id.in_(select(post_tags.c.post_id).where(post_tags.c.tag_id == tag.id))


def month_criteria(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(Post.published_at >= start, Post.published_at < end)


def public_post(slug: str) -> Post | None:
    """Return the public post with this slug, with everything its page shows."""
    stmt = select(Post).where(Post.slug == slug, is_public())
    stmt = _with_card_relations(stmt).options(joinedload(Post.image))
    return db.session.scalars(stmt).unique().one_or_none()


def post_by_wp_id(wp_id: int) -> Post | None:
    """Return the public post imported from WordPress with this id (its old /?p=ID link)."""
    return db.session.scalar(select(Post).where(Post.wp_id == wp_id, is_public()))


@dataclass(frozen=True)
class Byline:
    username: str
    display_name: str


@dataclass(frozen=True)
class PostLink:
    """What a link to another post shows: plain values, no ORM object to build."""

    title: str
    slug: str
    published_at: datetime | None = None
    author: Byline | None = None


def adjacent_posts(post: Post) -> tuple[PostLink | None, PostLink | None]:
    """Return the public posts just before (older) and after (newer) this one.

    Row values compare (published_at, id) as one key, which the index serves directly.
    """
    key = tuple_(Post.published_at, Post.id)
    here = tuple_(literal(post.published_at), literal(post.id))
    # Anything older than a public post is due too: leaving out "<= now" lets the index
    # range start right at this post instead of at the present.
    older = db.session.execute(
        select(Post.title, Post.slug)
        .where(Post.status == "published", key < here)
        .order_by(Post.published_at.desc(), Post.id.desc())
        .limit(1)
    ).first()
    newer = db.session.execute(
        select(Post.title, Post.slug)
        .where(is_public(), key > here)
        .order_by(Post.published_at, Post.id)
        .limit(1)
    ).first()
    return (PostLink(*older) if older else None), (PostLink(*newer) if newer else None)


# How far back related posts look, per shared tag and in the category: bounds the work
# whatever the archive's size, while recent posts are the ones readers want anyway.
RELATED_CANDIDATES = 50


def related_posts(post: Post, limit: int = 3) -> list[PostLink]:
    """Return other public posts that share the most tags and the category, newest first.

    A shared tag counts 2 and the same category 1; ties go to the more recent post. The
    candidates are the newest posts of the category and of each tag (by id, which an index
    gives without touching the posts), scored here rather than by a query over them all.
    """
    now = utcnow()
    shared: dict[int, int] = {}
    per_tag = [
        select(
            select(post_tags.c.post_id)
            .where(post_tags.c.tag_id == tag.id, post_tags.c.post_id != post.id)
            .order_by(post_tags.c.post_id.desc())
            .limit(RELATED_CANDIDATES)
            .subquery()
        )
        for tag in post.tags
    ]
    if per_tag:
        for post_id in db.session.scalars(union_all(*per_tag)):
            shared[post_id] = shared.get(post_id, 0) + 1
    same_category = db.session.scalars(
        select(Post.id)
        .where(is_public(now), Post.category_id == post.category_id, Post.id != post.id)
        .order_by(Post.published_at.desc())
        .limit(RELATED_CANDIDATES)
    ).all()
    candidates = set(shared) | set(same_category)
    if not candidates:
        return []
    # Publicness is checked here, not in SQL: with it there, SQLite prefers walking the
    # date index over all posts to looking up these few hundred ids.
    rows = [
        row
        for row in db.session.execute(
            select(Post.id, Post.category_id, Post.published_at, Post.status).where(
                Post.id.in_(candidates)
            )
        )
        if row.status == "published" and row.published_at <= now
    ]
    ranked = sorted(
        rows,
        key=lambda r: (
            2 * shared.get(r.id, 0) + (r.category_id == post.category_id),
            r.published_at,
            r.id,
        ),
        reverse=True,
    )[:limit]
    chosen = [r.id for r in ranked]
    found = {
        row.id: PostLink(
            row.title, row.slug, row.published_at, Byline(row.username, row.display_name)
        )
        for row in db.session.execute(
            select(
                Post.id, Post.title, Post.slug, Post.published_at, User.username, User.display_name
            )
            .join(User, User.id == Post.author_id)
            .where(Post.id.in_(chosen))
        )
    }
    return [found[i] for i in chosen]


@dataclass(frozen=True)
class NavItem:
    name: str
    slug: str


def nav_categories() -> list[NavItem]:
    """Return the categories for the masthead, read once per content change per process."""

    def load():
        rows = db.session.execute(select(Category.name, Category.slug).order_by(Category.name))
        return [NavItem(name, slug) for name, slug in rows]

    return memo_by_stamp("nav_categories", load)


def next_scheduled_time() -> datetime | None:
    """Return when the next scheduled post falls due: cached pages expire then."""
    now = utcnow()
    due = memo_by_stamp(
        "next_scheduled",
        lambda: db.session.scalar(
            select(func.min(Post.published_at)).where(
                Post.status == "published", Post.published_at > now
            )
        ),
    )
    if due is not None and due <= now:
        # Its time has come since it was read: look for the one after it.
        due = db.session.scalar(
            select(func.min(Post.published_at)).where(
                Post.status == "published", Post.published_at > now
            )
        )
    return due


def category_by_slug(slug: str) -> Category | None:
    return db.session.scalar(select(Category).where(Category.slug == slug))


def tag_by_slug(slug: str) -> Tag | None:
    return db.session.scalar(select(Tag).where(Tag.slug == slug))


def author_by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


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
