"""The category hierarchy: parents, breadcrumbs and subcategories ("News › World").

A category's parent is one column (Category.parent_id); the whole tree is one small map read
once per content change. A category lists its subcategories' posts with its own, as in
WordPress (family); its page links its ancestors and its subcategories,
those with a public post (the others are no page of the site).
"""

from dataclasses import dataclass

from sqlalchemy import select

from blog.extensions import db
from blog.models import Category
from blog.posts.listings import CATEGORY_ORDER, CategoryLink, category_links, nav_categories

# Deeper than any real site goes; a loop in the stored rows (an old archive) stops here.
MAX_DEPTH = 20


@dataclass(frozen=True, slots=True)
class Crumb:
    name: str
    url: str | None  # None: the category has no public post, so no page to link to


def _rows() -> dict[int, tuple[str, str, int | None]]:
    """Return every category as id -> (name, slug, parent id), by name."""
    stmt = select(Category.id, Category.name, Category.slug, Category.parent_id)
    rows = db.session.execute(stmt.order_by(*CATEGORY_ORDER))
    return {id_: (name, slug, parent) for id_, name, slug, parent in rows}


def _tree() -> dict[int, tuple[str, str, int | None]]:
    """Return the same map from the categories' memo every listing reads: no query of its own."""
    return {id_: (c.name, c.slug, c.parent_id) for id_, c in category_links().items()}


def ancestors(category_id: int, tree: dict | None = None) -> list[int]:
    """Return the ids of a category's parent, its parent's parent ..., the nearest first."""
    tree = _tree() if tree is None else tree
    found: list[int] = []
    parent = tree.get(category_id, (None, None, None))[2]
    while parent is not None and parent not in found and parent != category_id:
        found.append(parent)
        if len(found) >= MAX_DEPTH:
            break
        parent = tree.get(parent, (None, None, None))[2]
    return found


def makes_a_loop(category_id: int | None, parent_id: int | None) -> bool:
    """Tell whether giving the category this parent would make it its own ancestor."""
    if category_id is None or parent_id is None:
        return False
    tree = dict(db.session.execute(select(Category.id, Category.parent_id)).all())
    seen, current = set(), parent_id
    while current is not None and current not in seen:
        if current == category_id:
            return True
        seen.add(current)
        current = tree.get(current)
    return False


def family(category_id: int) -> list[int]:
    """Return the ids of a category and of all its subcategories, however deep.

    A category's archive holds its subcategories' posts too, as WordPress's does: "News"
    lists the stories filed under "News › World". Read from the categories' memo: no query.
    """
    children: dict[int | None, list[int]] = {}
    for id_, (_, _, parent) in _tree().items():
        children.setdefault(parent, []).append(id_)
    found, seen = [category_id], {category_id}
    for id_ in found:  # grows as it goes; seen stops a loop in old stored rows
        for child in children.get(id_, ()):
            if child not in seen:
                seen.add(child)
                found.append(child)
    return found


def breadcrumb(category_id: int) -> list[Crumb]:
    """Return the category's ancestors as crumbs, the top-level one first."""
    tree, public = _tree(), {link.slug: link.url for link in nav_categories()}
    crumbs = []
    for id_ in reversed(ancestors(category_id, tree)):
        name, slug, _ = tree[id_]
        crumbs.append(Crumb(name, public.get(slug)))
    return crumbs


def subcategories(category_id: int) -> list[CategoryLink]:
    """Return the category's direct children that have a public post, by name."""
    tree = _tree()
    children = {slug for name, slug, parent in tree.values() if parent == category_id}
    return [link for link in nav_categories() if link.slug in children]


def parent_choices(category: Category | None) -> list[tuple[int, str]]:
    """Return (id, "News › World") for every category that may be this one's parent."""
    tree = _rows()
    own = category.id if category is not None else None
    choices = []
    for id_, (name, _, _) in tree.items():
        path = [tree[a][0] for a in reversed(ancestors(id_, tree))]
        if id_ == own or own in ancestors(id_, tree):
            continue  # itself, or one of its descendants: a loop
        choices.append((id_, " › ".join([*path, name])))
    return sorted(choices, key=lambda choice: choice[1].lower())
