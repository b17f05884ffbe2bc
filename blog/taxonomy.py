"""Categories and tags: naming them, their slugs, counting and deleting them."""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import case, delete, func, or_, select, update

from blog.category_tree import makes_a_loop
from blog.extensions import db
from blog.models import Category, Post, Tag, post_tags, utcnow
from blog.posts.listings import is_public
from blog.redirects import forget_slug, remember_slug
from blog.slugs import slugify, unique_slug


class TaxonomyError(ValueError):
    """A change the rules refuse; field names the form field the message belongs beside."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class PostCounts:
    public: int = 0
    total: int = 0  # every status: drafts, scheduled, published and trashed posts


def _clean(text: str) -> str:
    return " ".join(text.split())


def _check_name_free(model, name: str, exclude_id: int | None, kind: str) -> None:
    """Refuse a name another row has, ignoring case: only slugs made from names may repeat."""
    wanted = slugify(name)
    # SQLite's lower() folds ASCII only: rows whose slug comes from a name like this one are
    # fetched too, and the names compared here.
    others = db.session.scalars(
        select(model.name).where(
            or_(
                func.lower(model.name) == name.lower(),
                model.slug == wanted,
                model.slug.startswith(wanted + "-", autoescape=True),
            ),
            model.id != (exclude_id or -1),
        )
    )
    for other in others:
        if other.casefold() == name.casefold():
            raise TaxonomyError(f"There is already a {kind} called “{other}”.", "name")


def _choose_slug(model, row, name: str, slug: str, kind: str) -> str:
    """Return the row's slug: as typed if changed, else following the name when it changes.

    A slug made from the name gets a number when another row has it (C++ and C# are both
    "c"); a typed one is what the editor asked for, so a taken one is refused instead.
    """
    typed = slug.strip()
    if typed and slugify(typed) != row.slug:
        wanted = slugify(typed)
        owner = db.session.scalar(
            select(model.name).where(model.slug == wanted, model.id != (row.id or -1))
        )
        if owner is not None:
            raise TaxonomyError(
                f"The address /{kind}/{wanted} belongs to the {kind} “{owner}”. "
                "Choose another slug, or leave it blank to have one made from the name.",
                "slug",
            )
        return wanted
    if not typed or name != row.name:
        return unique_slug(model, slugify(name), exclude_id=row.id)
    return row.slug


def _save(model, row, name: str, slug: str, kind: str) -> None:
    name = _clean(name)
    if not name:
        raise TaxonomyError("Give a name.", "name")
    _check_name_free(model, name, row.id, kind)
    old = row.slug
    row.slug = _choose_slug(model, row, name, slug, kind)
    row.name = name
    if row.slug != old:
        # Archives are public from the start: the old address leads to the new one.
        if old:
            remember_slug(kind, row.id, old)
        forget_slug(kind, row.slug)


def _set_parent(category: Category, parent_id: int | None) -> None:
    """Give the category a parent, refusing one that does not exist or would make a loop."""
    parent_id = parent_id or None
    if parent_id is None:
        category.parent_id = None
        return
    if db.session.get(Category, parent_id) is None:
        raise TaxonomyError("That parent category no longer exists.", "parent_id")
    if parent_id == category.id or makes_a_loop(category.id, parent_id):
        raise TaxonomyError(
            "A category cannot be filed under itself or one of its own subcategories.",
            "parent_id",
        )
    category.parent_id = parent_id


def create_category(
    name: str, slug: str = "", description: str = "", parent_id: int | None = None
) -> Category:
    """Add a category; its slug is made from the name unless one is given."""
    category = Category(description=description.strip())
    _save(Category, category, name, slug, "category")
    _set_parent(category, parent_id)
    db.session.add(category)
    db.session.flush()
    return category


def update_category(
    category: Category,
    name: str,
    slug: str = "",
    description: str = "",
    parent_id: int | None = None,
) -> None:
    """Rename, describe and file a category; the slug follows a new name unless changed too."""
    _set_parent(category, parent_id)
    _save(Category, category, name, slug, "category")
    category.description = description.strip()


def create_tag(name: str, slug: str = "") -> Tag:
    """Add a tag; its slug is made from the name unless one is given."""
    tag = Tag()
    _save(Tag, tag, name, slug, "tag")
    db.session.add(tag)
    db.session.flush()
    return tag


def update_tag(tag: Tag, name: str, slug: str = "") -> None:
    """Rename a tag; the slug follows a new name unless it was changed too."""
    _save(Tag, tag, name, slug, "tag")


def _counts(key, *where, join_posts: bool = False) -> dict[int, PostCounts]:
    public = func.count(case((is_public(utcnow()), 1)))
    stmt = select(key, public, func.count()).where(*where).group_by(key)
    if join_posts:
        stmt = stmt.select_from(post_tags).join(Post, Post.id == post_tags.c.post_id)
    return {
        row_id: PostCounts(n_public, n_all) for row_id, n_public, n_all in db.session.execute(stmt)
    }


def category_post_counts() -> dict[int, PostCounts]:
    """Return every category's post counts by its id, in one grouped query."""
    return _counts(Post.category_id)


def tag_post_counts(tag_ids: Iterable[int]) -> dict[int, PostCounts]:
    """Return the post counts of these tags by id, in one grouped query."""
    ids = list(tag_ids)
    if not ids:
        return {}
    return _counts(post_tags.c.tag_id, post_tags.c.tag_id.in_(ids), join_posts=True)


def posts_in_category(category: Category) -> int:
    """Return how many posts of any status, trash included, are filed under the category."""
    return db.session.scalar(
        select(func.count()).select_from(Post).where(Post.category_id == category.id)
    )


def can_delete_category() -> bool:
    """Tell whether there are categories to spare: every post needs one, so one must remain."""
    return db.session.scalar(select(func.count()).select_from(Category)) > 1


def delete_category(category: Category, move_to: Category | None = None) -> int:
    """Delete a category, first moving its posts (every status) to move_to; return how many.

    Nothing is committed: the move and the delete stand or fall together in the caller's
    transaction.
    """
    if not can_delete_category():
        raise TaxonomyError("This is the last category, and every post needs one.")
    moved = posts_in_category(category)
    if moved:
        if move_to is None or move_to.id == category.id:
            raise TaxonomyError("Choose the category its posts move to.", "move_to")
        db.session.execute(
            update(Post)
            .where(Post.category_id == category.id)
            # A move is not an edit: updated_at stays, so the dashboard keeps its order.
            .values(category_id=move_to.id, updated_at=Post.updated_at)
            .execution_options(synchronize_session="fetch")
        )
    db.session.delete(category)
    db.session.flush()
    return moved


def delete_tag(tag: Tag) -> None:
    """Delete a tag: the posts that had it stay, without it."""
    # Explicit rather than left to ON DELETE CASCADE, which SQLite applies only when asked.
    db.session.execute(delete(post_tags).where(post_tags.c.tag_id == tag.id))
    db.session.delete(tag)
    db.session.flush()
