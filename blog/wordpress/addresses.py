"""Where a WordPress site's ids and names lead here: one indexed look-up each.

A post keeps its WordPress id itself (Post.wp_id, blog.posts.listings.post_by_wp_id); the
import keeps a category's term id and an attachment's id, slug and upload path in
wordpress_addresses (blog.models.WordPressAddress).
"""

from sqlalchemy import select

from blog.extensions import db
from blog.models import Category, Media, WordPressAddress, utcnow
from blog.posts.listings import lists_public_post, public_category_ids


def public_category_slug(term_id: int) -> str | None:
    """Return the slug of the category WordPress numbered term_id (?cat=ID), if it is public.

    Public as its archive page is (blog.posts.listings.public_archive): it or a subcategory
    lists a public post.
    """
    stmt = (
        select(Category.id, Category.slug, lists_public_post("category", Category.id))
        .join(WordPressAddress, WordPressAddress.category_id == Category.id)
        .where(WordPressAddress.kind == "category", WordPressAddress.wp_id == term_id)
        .limit(1)
    )
    found = db.session.execute(stmt, {"now": utcnow()}).first()
    if found is None:
        return None
    id_, slug, listed = found
    # None of its own: public still if a subcategory has one (a memo, mostly no query).
    return slug if listed or id_ in public_category_ids() else None


def attachment_file(*, wp_id: int | None = None, slug: str | None = None) -> str | None:
    """Return the file name of the image an attachment became, by its id or its slug."""
    if wp_id is not None:
        found = (WordPressAddress.kind == "attachment", WordPressAddress.wp_id == wp_id)
    else:
        found = (WordPressAddress.kind == "attachment", WordPressAddress.name == slug)
    return _file(*found)


def upload_file(path: str, resized_from: str) -> str | None:
    """Return the file name of the image an upload became, by its path under uploads/.

    resized_from is the path of the original a resized copy's path names ("a-300x200.jpg" is
    a size of "a.jpg"); an upload of that very path wins, as an original may be named so.
    """
    stmt = (
        select(Media.filename)
        .join(WordPressAddress, WordPressAddress.media_id == Media.id)
        .where(WordPressAddress.kind == "upload", WordPressAddress.name.in_({path, resized_from}))
        .order_by((WordPressAddress.name == path).desc())
        .limit(1)
    )
    return db.session.scalar(stmt)


def _file(*where) -> str | None:
    stmt = (
        select(Media.filename)
        .join(WordPressAddress, WordPressAddress.media_id == Media.id)
        .where(*where)
        .limit(1)
    )
    return db.session.scalar(stmt)
