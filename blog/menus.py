"""The header and footer menus: what the editor put in them, or what the site shows by default.

A fresh site's header menu is its categories (those with a public post, alphabetical), and its
footer menu its pages, the archives and the feeds. Once the editor changes a menu, its items
are stored (menu_items) and shown in their order; an item whose category has no public post,
whose page is not published, or whose target was deleted (the row goes with it) is left out,
so that no menu ever links to a 404.

Templates get plain lists of MenuLink (label, url, current), read once per content change.
"""

from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select

from blog.cache import memo_by_stamp
from blog.extensions import db
from blog.models import Category, MenuItem, Page
from blog.pages import public_pages
from blog.paths import path_for, script_root
from blog.posts.listings import (
    CategoryLink,
    category_links,
    nav_categories,
    next_scheduled_time,
    public_category_ids,
)

MENUS = ("header", "footer")
KINDS = ("category", "page", "link", "archives", "feeds")
LABELS = {"header": "Header menu", "footer": "Footer menu"}


@dataclass(frozen=True, slots=True)
class MenuLink:
    label: str
    url: str
    current: bool = False


@dataclass(frozen=True, slots=True)
class Entry:
    """An item as the editor's menu screen shows it: its row (None while automatic)."""

    id: int | None
    kind: str
    label: str
    url: str
    target: str  # what it points at, in words
    shown: bool  # False: left out of the site's menu now (empty category, draft page)


def _fixed_links(kind: str) -> list[MenuLink]:
    if kind == "archives":
        return [MenuLink("Archives", path_for("public.archives"))]
    return [
        MenuLink("Atom feed", path_for("public.discovery.site_feed", fmt="atom")),
        MenuLink("RSS feed", path_for("public.discovery.site_feed", fmt="rss")),
    ]


def _public_categories() -> dict[int, CategoryLink]:
    public = public_category_ids()
    return {id_: link for id_, link in category_links().items() if id_ in public}


def _stored(menu: str) -> list[MenuItem]:
    return list(
        db.session.scalars(
            select(MenuItem).where(MenuItem.menu == menu).order_by(MenuItem.position, MenuItem.id)
        )
    )


def _resolve(items: list[MenuItem]) -> list[MenuLink]:
    """Turn stored items into links, leaving out those that would lead to a 404."""
    categories = _public_categories() if any(i.kind == "category" for i in items) else {}
    pages = public_pages()
    links: list[MenuLink] = []
    for item in items:
        if item.kind == "category" and item.category_id in categories:
            category = categories[item.category_id]
            links.append(MenuLink(item.label or category.name, category.url))
        elif item.kind == "page" and item.page_id in pages:
            page = pages[item.page_id]
            links.append(MenuLink(item.label or page.title, page.url))
        elif item.kind == "link" and item.url:
            links.append(MenuLink(item.label or item.url, item.url))
        elif item.kind in ("archives", "feeds"):
            links += _fixed_links(item.kind)
    return links


def _automatic(menu: str) -> list[MenuLink]:
    if menu == "header":
        return [MenuLink(c.name, c.url) for c in nav_categories()]
    pages = [MenuLink(p.title, p.url) for p in public_pages().values()]
    return pages + _fixed_links("archives") + _fixed_links("feeds")


def menu_links(menu: str) -> list[MenuLink]:
    """Return a menu's links (current unset), read once per content change and schedule."""

    def load():
        items = _stored(menu)
        return _resolve(items) if items else _automatic(menu)

    # A scheduled post that falls due may give an empty category its first public post.
    return memo_by_stamp(f"menu:{menu}:{script_root()}:{next_scheduled_time()}", load)


def with_current(links: list[MenuLink], path: str, also: str | None = None) -> list[MenuLink]:
    """Mark the link to this page (or to also: a post's category) as the current one."""
    return [replace(link, current=True) if link.url in (path, also) else link for link in links]


# The editor's side.


def entries(menu: str) -> tuple[list[Entry], bool]:
    """Return the menu's items for the editor, and whether they are the automatic ones."""
    items = _stored(menu)
    automatic = not items
    if automatic:
        items = _automatic_items(menu)
    public_categories, pages = _public_categories(), public_pages()
    names = dict(db.session.execute(select(Category.id, Category.name)).all())
    titles = dict(db.session.execute(select(Page.id, Page.title)).all())
    found = []
    for item in items:
        if item.kind == "category":
            name = names.get(item.category_id, "")
            shown = item.category_id in public_categories
            target = f"Category “{name}”" + ("" if shown else " (no public post yet: left out)")
            found.append(Entry(item.id, item.kind, item.label or name, "", target, shown))
        elif item.kind == "page":
            title = titles.get(item.page_id, "")
            shown = item.page_id in pages
            target = f"Page “{title}”" + ("" if shown else " (not published: left out)")
            found.append(Entry(item.id, item.kind, item.label or title, "", target, shown))
        elif item.kind == "link":
            found.append(Entry(item.id, item.kind, item.label, item.url, item.url, True))
        else:
            label = "Archives" if item.kind == "archives" else "Atom and RSS feeds"
            found.append(Entry(item.id, item.kind, label, "", label, True))
    return found, automatic


def _automatic_items(menu: str) -> list[MenuItem]:
    """Return the automatic menu as unsaved items, in its order."""
    if menu == "header":
        # In the masthead's order: category_links keeps CATEGORY_ORDER.
        items = [
            MenuItem(menu=menu, kind="category", category_id=id_) for id_ in _public_categories()
        ]
    else:
        items = [MenuItem(menu=menu, kind="page", page_id=id_) for id_ in public_pages()]
        items += [MenuItem(menu=menu, kind="archives"), MenuItem(menu=menu, kind="feeds")]
    for position, item in enumerate(items, 1):
        item.position = position
    return items


def _materialize(menu: str) -> list[MenuItem]:
    """Return the stored items, storing the automatic ones first if the menu has none."""
    items = _stored(menu)
    if not items:
        items = _automatic_items(menu)
        db.session.add_all(items)
        db.session.flush()
    return items


def add_item(menu: str, kind: str, *, category_id=None, page_id=None, label="", url="") -> None:
    """Add an item at the end of the menu (which stops being automatic)."""
    _materialize(menu)
    last = db.session.scalar(select(func.max(MenuItem.position)).where(MenuItem.menu == menu))
    db.session.add(
        MenuItem(
            menu=menu,
            kind=kind,
            position=(last or 0) + 1,
            category_id=category_id,
            page_id=page_id,
            label=label.strip(),
            url=url.strip(),
        )
    )


def _position_of(items: list, item_id: int | None, index: int | None) -> int | None:
    if item_id is not None:
        return next((i for i, item in enumerate(items) if item.id == item_id), None)
    return index if index is not None and 0 <= index < len(items) else None


def move_item(
    menu: str, item_id: int | None, step: int = 0, index: int | None = None, to: int | None = None
) -> bool:
    """Move an item one place up (-1) or down (1), or to place `to` (0 first: dragged there).

    An automatic menu's item is named by its index; the menu becomes the editor's own.
    """
    items = _materialize(menu)
    here = _position_of(items, item_id, index)
    if here is None:
        return False
    there = here + step if to is None else to
    if not 0 <= there < len(items) or there == here:
        return False
    items.insert(there, items.pop(here))
    for position, item in enumerate(items, 1):
        item.position = position
    return True


def remove_item(menu: str, item_id: int | None, index: int | None = None) -> bool:
    """Remove an item; a menu left with none is automatic again."""
    items = _materialize(menu)
    here = _position_of(items, item_id, index)
    if here is None:
        return False
    db.session.delete(items[here])
    return True


def reset(menu: str) -> None:
    """Make the menu automatic again: the categories, or the pages, archives and feeds."""
    db.session.execute(delete(MenuItem).where(MenuItem.menu == menu))


def link_problem(url: str) -> str | None:
    """Return why a custom link cannot go in a menu, or None: https, or a path on this site."""
    url = url.strip()
    parts = urlsplit(url)
    # A backslash or a space: browsers read a slash and a backslash as two slashes, which
    # would lead to another site.
    odd = "\\" in url or any(ord(c) < 33 for c in url)
    if not odd and parts.scheme == "https" and parts.netloc:
        return None
    if not odd and not parts.scheme and not parts.netloc and url.startswith("/"):
        return None
    return "Give an https:// address, or a path on this site starting with / (such as /about/)."
