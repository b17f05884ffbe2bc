"""What a post's public page reads: the post, its tags, its neighbours, related posts.

Plain rows through statements built once per process (see blog/posts/listings.py), so the page
costs the same whatever the archive's size.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import and_, bindparam, case, func, literal, select, tuple_, union_all

from blog.body_images import responsive_images
from blog.dates import local_dates
from blog.extensions import db
from blog.models import Media, Post, post_tags, reading_minutes
from blog.paths import path_for
from blog.posts import listings
from blog.posts.listings import (
    POSTS,
    PUBLIC,
    TAGS,
    Byline,
    CategoryLink,
    PostLink,
    byline,
    category_link,
    post_link,
)
from blog.posts.status import Status
from blog.settings import load_settings

MEDIA = Media.__table__


@dataclass(frozen=True, slots=True)
class Image:
    filename: str
    width: int
    height: int
    variants: str
    # The picture's own, as last described in Media: shown under the featured image.
    caption: str = ""
    credit: str = ""


@dataclass(frozen=True, slots=True)
class TagLink:
    id: int
    name: str
    slug: str


@dataclass(frozen=True, slots=True)
class PostPage:
    """A public post with everything its page shows."""

    id: int
    title: str
    slug: str
    excerpt: str
    body_html: str
    published_at: datetime
    updated_at: datetime
    word_count: int
    category_id: int
    image_alt: str
    seo_title: str
    seo_description: str
    category: CategoryLink
    author: Byline
    image: Image | None
    tags: list[TagLink]
    published: tuple[str, str]  # as on a card

    @property
    def reading_minutes(self) -> int:
        return reading_minutes(self.word_count)


_POST = (
    select(
        POSTS.c.id,
        POSTS.c.title,
        POSTS.c.slug,
        POSTS.c.excerpt,
        POSTS.c.body_html,
        POSTS.c.published_at,
        POSTS.c.updated_at,
        POSTS.c.word_count,
        POSTS.c.category_id,
        POSTS.c.image_alt,
        POSTS.c.seo_title,
        POSTS.c.seo_description,
        POSTS.c.author_id,
        MEDIA.c.filename,
        MEDIA.c.width,
        MEDIA.c.height,
        MEDIA.c.variants,
        MEDIA.c.caption,
        MEDIA.c.credit,
    )
    .outerjoin(MEDIA, MEDIA.c.id == POSTS.c.image_id)
    .where(POSTS.c.slug == bindparam("slug"), PUBLIC)
)
_TAGS = (
    select(TAGS.c.id, TAGS.c.name, TAGS.c.slug)
    .join(post_tags, post_tags.c.tag_id == TAGS.c.id)
    .where(post_tags.c.post_id == bindparam("id"))
    .order_by(TAGS.c.name)
)


def public_post(slug: str) -> PostPage | None:
    """Return the public post with this slug, with everything its page shows."""
    row = db.session.execute(_POST, {"slug": slug, "now": listings.utcnow()}).first()
    if row is None:
        return None
    tags = db.session.execute(_TAGS, {"id": row.id}).all()
    image = Image(*row[13:19]) if row.filename else None
    return PostPage(
        *row[:4],
        _shown_body(row.body_html),
        *row[5:12],
        category=category_link(row.category_id),
        author=byline(row.author_id),
        image=image,
        tags=[TagLink(*tag) for tag in tags],
        published=local_dates(row.published_at, load_settings().zone),
    )


def _media_path(filename: str) -> str:
    return path_for("public.media", filename=filename)


def _shown_body(body_html: str) -> str:
    """Return the stored body as the page shows it: its pictures made responsive."""
    return responsive_images(body_html, _media_path)


def preview_page(post: Post) -> PostPage:
    """Return an unsaved or unpublished post (the editor's preview) as its page would show it.

    Nothing is read but what the post holds; a draft without a date shows today's.
    """
    published_at = post.published_at or listings.utcnow()
    image = post.image
    return PostPage(
        id=post.id,
        title=post.title,
        slug=post.slug,
        excerpt=post.excerpt,
        body_html=_shown_body(post.body_html),
        published_at=published_at,
        updated_at=post.updated_at or published_at,
        word_count=post.word_count or 0,
        category_id=post.category_id,
        image_alt=post.image_alt or "",
        seo_title=post.seo_title or "",
        seo_description=post.seo_description or "",
        category=CategoryLink.of(post.category.name, post.category.slug),
        author=Byline.of(post.author.username, post.author.display_name),
        image=Image(
            image.filename, image.width, image.height, image.variants, image.caption, image.credit
        )
        if image
        else None,
        tags=[TagLink(tag.id, tag.name, tag.slug) for tag in post.tags],
        published=local_dates(published_at, load_settings().zone),
    )


_KEY = tuple_(POSTS.c.published_at, POSTS.c.id)
# Typed like the columns: SQLite keeps dates as text, and an untyped date would reach the
# driver, whose text for a time without microseconds (every imported post's) is shorter than
# the stored one, so that the post itself would sort after itself and be its own neighbour.
_HERE = tuple_(
    bindparam("published_at", type_=POSTS.c.published_at.type),
    bindparam("id", type_=POSTS.c.id.type),
)


def _neighbour(side: str, where, order):
    closest = select(POSTS.c.title, POSTS.c.slug).where(where).order_by(*order).limit(1)
    return select(literal(side).label("side"), closest.subquery())


# Both neighbours in one statement. Anything older than a public post is due too: leaving
# out "<= now" lets the index range start right at this post instead of at the present.
_NEIGHBOURS = union_all(
    _neighbour(
        "older",
        and_(POSTS.c.status == Status.PUBLISHED, _KEY < _HERE),
        (POSTS.c.published_at.desc(), POSTS.c.id.desc()),
    ),
    _neighbour("newer", and_(PUBLIC, _KEY > _HERE), (POSTS.c.published_at, POSTS.c.id)),
)


def adjacent_posts(post: PostPage) -> tuple[PostLink | None, PostLink | None]:
    """Return the public posts just before (older) and after (newer) this one.

    Row values compare (published_at, id) as one key, which the index serves directly.
    """
    params = {"published_at": post.published_at, "id": post.id, "now": listings.utcnow()}
    found = {
        side: post_link(title, slug)
        for side, title, slug in db.session.execute(_NEIGHBOURS, params)
    }
    return found.get("older"), found.get("newer")


# How far back related posts look, per shared tag and in the category: bounds the work
# whatever the archive's size, while recent posts are the ones readers want anyway. Only
# the first MAX_TAGS tags (by name) count.
RELATED_CANDIDATES = 25
MAX_TAGS = 10
NOT_ME = bindparam("id")


@cache
def _related_statement(tag_count: int):
    """Return the related-posts statement for a post with this many tags, built once.

    Candidates are the newest posts of each tag (by id, which the index gives without
    touching the posts) and of the category; a shared tag weighs 2 and the same category 1,
    and ties go to the more recent post.
    """
    weighted = [
        select(
            select(post_tags.c.post_id.label("id"), literal(2).label("weight"))
            .where(post_tags.c.tag_id == bindparam(f"tag{n}"), post_tags.c.post_id != NOT_ME)
            .order_by(post_tags.c.post_id.desc())
            .limit(RELATED_CANDIDATES)
            .subquery()
        )
        for n in range(tag_count)
    ]
    weighted.append(
        select(
            select(POSTS.c.id, literal(0).label("weight"))
            .where(PUBLIC, POSTS.c.category_id == bindparam("category_id"), POSTS.c.id != NOT_ME)
            .order_by(POSTS.c.published_at.desc())
            .limit(RELATED_CANDIDATES)
            .subquery()
        )
    )
    candidates = union_all(*weighted).subquery()
    same_category = case((POSTS.c.category_id == bindparam("category_id"), 1), else_=0)
    score = func.sum(candidates.c.weight) + same_category
    return (
        select(POSTS.c.title, POSTS.c.slug, POSTS.c.published_at, POSTS.c.author_id)
        .join(candidates, candidates.c.id == POSTS.c.id)
        .where(PUBLIC)
        .group_by(POSTS.c.id, POSTS.c.title, POSTS.c.slug, POSTS.c.published_at)
        .order_by(score.desc(), POSTS.c.published_at.desc(), POSTS.c.id.desc())
        .limit(bindparam("limit"))
    )


def related_posts(post: PostPage, limit: int = 3) -> list[PostLink]:
    """Return other public posts that share the most tags and the category, newest first."""
    tag_ids = [tag.id for tag in post.tags[:MAX_TAGS]]
    params = {f"tag{n}": tag_id for n, tag_id in enumerate(tag_ids)}
    params |= {
        "id": post.id,
        "category_id": post.category_id,
        "now": listings.utcnow(),
        "limit": limit,
    }
    rows = db.session.execute(_related_statement(len(tag_ids)), params)
    return [post_link(title, slug, at, byline(author)) for title, slug, at, author in rows]
