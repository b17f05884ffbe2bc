"""WordPress's category tree, kept: each category the import made is filed under its parent.

<wp:category_parent> names the parent by its nicename. A category the site had before keeps
the place the editor gave it; a parent the file does not define, or one that would make a
loop (no WordPress writes one, a hand-edited file may), leaves the category at the top.
"""

from collections.abc import Callable

from blog.extensions import db
from blog.models import Category
from blog.wordpress.wxr import Wxr


def keep_category_parents(wxr: Wxr, category: Callable[[str], Category], made: set[str]) -> int:
    """File the categories made by this import (their nicenames) under their parents.

    category returns the site's category for a nicename of the file. Return how many
    categories now have a parent.
    """
    parents: dict[int, int] = {}
    wanted = [
        (category(nicename), category(parent))
        for nicename, parent in wxr.category_parents.items()
        if nicename in made and parent in wxr.categories and parent != nicename
    ]
    if not wanted:
        return 0
    db.session.flush()  # the new categories' ids
    for child, parent in wanted:
        if not _loops(child.id, parent.id, parents):
            parents[child.id] = parent.id
            child.parent_id = parent.id
    return len(parents)


def _loops(child_id: int, parent_id: int, parents: dict[int, int]) -> bool:
    seen = set()
    current: int | None = parent_id
    while current is not None and current not in seen:
        if current == child_id:
            return True
        seen.add(current)
        current = parents.get(current)
    return False
