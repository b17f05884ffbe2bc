"""Saving posts: the publishing rules, tags, slugs, revisions and the trash."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, func, select, update

from blog import redirects
from blog.dates import to_utc
from blog.extensions import db
from blog.models import Post, Revision, Tag, User, utcnow
from blog.posts.status import SHOWN_STATES, Status, scheduled
from blog.render import BodyTooComplex, body_fields
from blog.slugs import slugify, unique_slug


@dataclass
class PostInput:
    """What the post form holds, already validated."""

    title: str
    body: str
    body_format: str = "markdown"
    slug: str = ""
    excerpt: str = ""
    category_id: int | None = None
    tags: str = ""
    image_id: int | None = None
    image_alt: str = ""
    status: str = "draft"  # draft | publish | schedule
    publish_at: datetime | None = None  # naive, in the site's time zone
    seo_title: str = ""
    seo_description: str = ""
    typographic: bool = False  # the site's setting: curly quotes and dashes in Markdown


def parse_tag_names(text: str) -> list[str]:
    """Split "a, b ,A,, c" into ["a", "b", "c"]: trimmed, unique ignoring case, in order."""
    names, seen = [], set()
    for raw in text.split(","):
        name = " ".join(raw.split())[:120]
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


def tags_named(names: list[str]) -> list[Tag]:
    """Return the tags with these names (ignoring case), creating the ones that do not exist.

    By name only, as the Tags screen tells tags apart: "C#" is not "C++", though both would
    be "c" as a slug; a new tag whose slug is taken gets a number (c-2).
    """
    # SQLite's lower() folds ASCII only: rows whose slug comes from a name like these are
    # fetched too, and the names compared here.
    found = db.session.scalars(
        select(Tag).where(
            func.lower(Tag.name).in_([name.lower() for name in names])
            | Tag.slug.in_([slugify(name) for name in names])
        )
    ).all()
    by_name = {tag.name.casefold(): tag for tag in found}
    tags, new_slugs = [], set()
    for name in names:
        tag = by_name.get(name.casefold())
        if tag is None:
            tag = Tag(name=name, slug=unique_slug(Tag, slugify(name), also_taken=new_slugs))
            new_slugs.add(tag.slug)
            db.session.add(tag)
        tags.append(tag)
    return tags


def keep_revision(post: Post) -> None:
    """Store the post as it is now, before a save changes it."""
    db.session.add(
        Revision(
            post_id=post.id,
            version=post.version,
            title=post.title,
            body_format=post.body_format,
            body_source=post.body_source,
            excerpt=post.excerpt if post.custom_excerpt else "",
            saved_at=post.updated_at,
        )
    )


def fill_post(post: Post, data: PostInput, zone: ZoneInfo, tags: list[Tag]) -> None:
    """Apply the form to a post object without saving it (also used by the preview)."""
    post.title = data.title.strip()
    post.body_format = data.body_format
    post.body_source = data.body
    _set_body_fields(post, body_fields(data.body, data.body_format, data.excerpt, data.typographic))
    post.category_id = data.category_id
    post.tags = tags
    post.image_id = data.image_id
    post.image_alt = data.image_alt.strip() if data.image_id else ""
    post.seo_title = data.seo_title.strip()
    post.seo_description = data.seo_description.strip()
    now = utcnow()
    if post.status == Status.TRASH:
        # A save edits a trashed post where it is: only restore_from_trash brings it back.
        pass
    elif data.status == "draft":
        if post.published_at is not None and post.published_at > now:
            post.published_at = None  # a schedule called off: it was never public
        post.status = Status.DRAFT
    elif data.status == "schedule" and data.publish_at is not None:
        post.status = Status.PUBLISHED
        post.published_at = to_utc(data.publish_at, zone)
    else:
        # Publishing keeps the time the post first went public, as WordPress does: a post
        # taken back to draft (or restored from the trash) and published again keeps its
        # place and date instead of coming back as new; a schedule not yet due is replaced.
        if post.published_at is None or post.published_at > now:
            post.published_at = now
        post.status = Status.PUBLISHED


def _set_body_fields(post: Post, fields) -> None:
    for name, value in fields.as_dict().items():
        setattr(post, name, value)


def last_used_category() -> int | None:
    """Return the category of the post saved last, the likeliest one for the next post."""
    return db.session.scalar(
        select(Post.category_id).order_by(Post.updated_at.desc(), Post.id.desc()).limit(1)
    )


def post_with_slug(typed: str, post: Post | None) -> Post | None:
    """Return the other post that already has the slug typed for this one, if any."""
    if not typed.strip():
        return None
    stmt = select(Post).where(Post.slug == slugify(typed))
    if post is not None:
        stmt = stmt.where(Post.id != post.id)
    return db.session.scalar(stmt.limit(1))


def choose_slug(post: Post, data: PostInput) -> str:
    """Return the post's slug: as typed if given; once published it never follows the title."""
    if data.slug.strip():
        wanted = slugify(data.slug)
    elif post.slug and post.published_at is not None and post.status == Status.PUBLISHED:
        wanted = post.slug
    else:
        wanted = slugify(data.title)
    return unique_slug(Post, wanted, exclude_id=post.id)


def save_post(post: Post | None, data: PostInput, author: User, zone: ZoneInfo) -> Post:
    """Create or update a post, keeping the previous version as a revision."""
    shared = _public_slug(post)
    with db.session.no_autoflush:
        if post is None:
            post = Post(author_id=author.id, version=0)
        else:
            keep_revision(post)
        tags = tags_named(parse_tag_names(data.tags))
        post.slug = choose_slug(post, data)
        fill_post(post, data, zone, tags)
        post.version += 1
        post.updated_at = utcnow()
        db.session.add(post)
    db.session.flush()
    _follow_slug(post, shared)
    return post


def is_live(post: Post | None) -> bool:
    """Tell whether readers can see the post now: published, and its time has come."""
    return post is not None and post.is_public()


def _public_slug(post: Post | None) -> str | None:
    """Return the post's slug if readers can see it now: only such an address was shared."""
    return post.slug if is_live(post) else None


def _follow_slug(post: Post, shared: str | None) -> None:
    """Lead the address readers knew to the post's new one; drop an old slug it takes again."""
    if shared and shared != post.slug:
        redirects.remember_slug("post", post.id, shared)
    public = _public_slug(post)
    if public and public != shared:
        redirects.forget_slug("post", public)


def restore_revision(post: Post, revision: Revision, typographic: bool = False) -> None:
    """Bring back an earlier version's text; the current one becomes a revision itself."""
    keep_revision(post)
    post.title = revision.title
    post.body_format = revision.body_format
    post.body_source = revision.body_source
    _set_body_fields(
        post,
        body_fields(revision.body_source, revision.body_format, revision.excerpt, typographic),
    )
    post.version += 1
    post.updated_at = utcnow()


def move_to_trash(post: Post) -> None:
    post.status = Status.TRASH
    post.version += 1


def restore_from_trash(post: Post) -> None:
    """Bring a post back from the trash as a draft, as WordPress does: nothing goes live."""
    post.status = Status.DRAFT
    post.version += 1


def delete_for_good(post: Post) -> None:
    """Delete a trashed post for good, with its revisions, tag links and old slugs."""
    _delete_trashed(Post.id == post.id)


def empty_trash() -> int:
    """Delete every trashed post for good, exactly as delete_for_good does one; return how many."""
    return _delete_trashed()


def _delete_trashed(*where) -> int:
    # One statement, whose WHERE is checked again on each row: a post restored meanwhile
    # stays. The database's cascades take its revisions, tag links and old slugs; its images
    # are used by whatever posts still show them (blog.media), and the search index only
    # ever held published posts. A bulk statement marks the content changed (blog.cache).
    return db.session.execute(delete(Post).where(Post.status == Status.TRASH, *where)).rowcount


def trashed_titles(limit: int) -> list[str]:
    """Return the titles of the posts most recently moved to the trash, at most limit."""
    return list(
        db.session.scalars(
            select(Post.title)
            .where(Post.status == Status.TRASH)
            .order_by(Post.updated_at.desc(), Post.id.desc())
            .limit(limit)
        )
    )


def status_counts(now: datetime | None = None) -> dict[str, int]:
    """Return how many posts are drafts, scheduled, published and in the trash."""
    now = now or utcnow()
    due_later = scheduled(Post.status, Post.published_at, now)
    rows = db.session.execute(
        select(Post.status, due_later, func.count()).group_by(Post.status, due_later)
    ).all()
    counts = dict.fromkeys(SHOWN_STATES, 0)
    for status, later, n in rows:
        counts["scheduled" if later else status] += n
    return counts


def rerender_posts(batch: int = 200, typographic: bool = False) -> int:
    """Render every stored body again by today's rules; return how many posts changed.

    Bodies are rendered and sanitized when saved: after the renderer or the sanitizer
    changes, this brings older posts in line. Nobody edited them, so their version and
    updated_at stay (a Core UPDATE would otherwise stamp updated_at).
    """
    posts, changed, last = Post.__table__, 0, 0
    c = posts.c
    while True:
        rows = db.session.execute(
            select(
                c.id,
                c.body_source,
                c.body_format,
                c.body_html,
                c.excerpt,
                c.custom_excerpt,
                c.updated_at,
            )
            .where(c.id > last)
            .order_by(c.id)
            .limit(batch)
        ).all()
        if not rows:
            return changed
        last = rows[-1].id
        updates = []
        for row in rows:
            given = row.excerpt if row.custom_excerpt else ""
            try:
                fields = body_fields(row.body_source, row.body_format, given, typographic)
            except BodyTooComplex as error:
                raise BodyTooComplex(f"post {row.id} is too complex to render ({error})") from None
            if (fields.body_html, fields.excerpt) != (row.body_html, row.excerpt):
                updates.append({"b_id": row.id, **fields.as_dict(), "updated_at": row.updated_at})
        if updates:
            db.session.execute(update(posts).where(posts.c.id == bindparam("b_id")), updates)
            changed += len(updates)
