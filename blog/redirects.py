"""Old slugs: the addresses a post, category, tag or page had before, leading to where it is now.

Only slugs readers could have seen are kept: a public post's, a category's, a tag's, a
published page's (its path: "about" or "about/team"). An old slug names its row by id, so a
chain of changes leads straight to the current address.
"""

from sqlalchemy import delete, select

from blog.extensions import db
from blog.models import Category, OldSlug, Page, Post, Tag
from blog.posts.listings import is_public

# Each kind's row, and the column of old_slugs that names it.
TARGETS = {
    "post": (Post, OldSlug.post_id),
    "category": (Category, OldSlug.category_id),
    "tag": (Tag, OldSlug.tag_id),
    "page": (Page, OldSlug.page_id),
}


def remember_slug(kind: str, row_id: int, slug: str) -> None:
    """Keep slug as an old address of the row, in place of any other row it led to."""
    forget_slug(kind, slug)
    db.session.add(OldSlug(kind=kind, slug=slug, **{TARGETS[kind][1].key: row_id}))


def forget_slug(kind: str, slug: str) -> None:
    """Let an old slug go: a row lives at it again, and a live slug needs no redirect."""
    db.session.execute(delete(OldSlug).where(OldSlug.kind == kind, OldSlug.slug == slug))


def old_slug_target(kind: str, slug: str) -> str | None:
    """Return the current slug of the row that once had this one, if that row is public."""
    model, column = TARGETS[kind]
    stmt = (
        select(model.slug)
        .join(OldSlug, column == model.id)
        .where(OldSlug.kind == kind, OldSlug.slug == slug)
    )
    if model is Post:
        # A post back in draft or the trash has no address: never show its new slug.
        stmt = stmt.where(is_public())
    return db.session.scalar(stmt)
