"""WordPress menus (nav_menu_item items), imported as the header and footer menus.

The file's first menu becomes the header menu and its second the footer menu (an export does
not say which theme location showed which: the first is usually the primary one). An item
comes in when it points at something imported or is a link a menu here may hold:
- a page: a page item (a post, when pages were imported as posts: a link to it);
- a post: a link to its address here, when it is public;
- a category: a category item (left out of the menu while it has no public post);
- a custom link: https, or a link into the old site itself (made a path here, where its old
  address leads).
Anything else (tags, other taxonomies, http links, "#" placeholders, items whose target was
not imported) is named in the summary. This site's menus have one level: submenu items
follow their parent in the menu's order, and the summary counts them. A menu the editor has
already arranged (or an earlier import has) is left as it is.
"""

from collections import defaultdict
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from blog.extensions import db
from blog.menus import link_problem
from blog.models import MenuItem, Page, Post, WordPressAddress
from blog.posts.listings import is_public
from blog.wordpress.export_site import FIXED_LINKS, KIND_META
from blog.wordpress.item_fields import counted, html_text
from blog.wordpress.wxr import Item, Wxr

if TYPE_CHECKING:  # importing calls this module: only the type checker reads this
    from blog.wordpress.importing import Report

MENUS = ("header", "footer")
LABEL = 120


def import_menus(wxr: Wxr, report: "Report") -> None:
    """Write the file's menus into the header and footer menus, in the caller's transaction."""
    by_menu: dict[str, list[Item]] = defaultdict(list)
    for item in wxr.menu_items:
        for menu in item.menus or [""]:
            by_menu[menu].append(item)
    if not by_menu:
        return
    names = [n for n in wxr.menus if n in by_menu] + [n for n in by_menu if n not in wxr.menus]
    # A menu called header or footer (this blog's own exports) goes there; the others fill
    # the places left, in the file's order.
    free = [menu for menu in MENUS if menu not in names]
    places = {name: name if name in MENUS else (free.pop(0) if free else None) for name in names}
    targets = _Targets(wxr, [item for items in by_menu.values() for item in items])
    for nicename in names:
        title = html_text(wxr.menus.get(nicename, "")) or nicename or "(unnamed)"
        items = sorted(by_menu[nicename], key=lambda item: item.menu_order)
        menu = places[nicename]
        if menu is None:
            report.notes.append(
                f"The menu “{title}” ({counted(len(items), 'item')}) was left out: this site "
                "has two menus, the header and the footer, which took the file's first two."
            )
            continue
        if db.session.scalar(select(MenuItem.id).where(MenuItem.menu == menu).limit(1)):
            report.notes.append(
                f"The menu “{title}” was left out: the site's {menu} menu was arranged already."
            )
            continue
        _fill(menu, title, items, targets, report)


def _fill(menu: str, title: str, items: list[Item], targets: "_Targets", report) -> None:
    added, left_out, nested = 0, [], 0
    for item in items:
        entry = targets.entry(item)
        if isinstance(entry, str):
            left_out.append(entry)
            continue
        added += 1
        entry.menu, entry.position = menu, added
        db.session.add(entry)
        nested += item.meta.get("_menu_item_menu_item_parent", "0").strip() not in ("", "0")
    line = f"The menu “{title}” is the {menu} menu: {added} of {counted(len(items), 'item')}"
    if nested:
        line += f" ({nested} from its submenus, put after their parent: menus here have one level)"
    report.notes.append(line + ".")
    if left_out:
        report.notes.append(f"Left out of the {menu} menu: " + "; ".join(left_out) + ".")


class _Targets:
    """What the menu items point at, found here in one query per kind."""

    def __init__(self, wxr: Wxr, items: list[Item]):
        self.base = urlsplit(wxr.base_url)
        ids = {_object_id(item) for item in items} - {None}
        self.pages = dict(
            db.session.execute(select(Page.wp_id, Page.id).where(Page.wp_id.in_(ids))).all()
        )
        self.posts = {
            wp_id: (slug, title)
            for wp_id, slug, title in db.session.execute(
                select(Post.wp_id, Post.slug, Post.title).where(Post.wp_id.in_(ids), is_public())
            )
        }
        self.categories = dict(
            db.session.execute(
                select(WordPressAddress.wp_id, WordPressAddress.category_id).where(
                    WordPressAddress.kind == "category", WordPressAddress.wp_id.in_(ids)
                )
            ).all()
        )
        self.adapter = current_app.url_map.bind(
            "", script_name=current_app.config["APPLICATION_ROOT"]
        )

    def entry(self, item: Item) -> MenuItem | str:
        """Return the menu item an item becomes, or why it is left out, in words."""
        kind = item.meta.get("_menu_item_type", "").strip()
        target = item.meta.get("_menu_item_object", "").strip()
        object_id = _object_id(item)
        label = html_text(item.title)[:LABEL]
        if kind == "post_type" and target == "page" and object_id in self.pages:
            return MenuItem(kind="page", page_id=self.pages[object_id], label=label)
        if kind == "post_type" and object_id in self.posts:
            slug, title = self.posts[object_id]
            url = self.adapter.build("public.post", {"slug": slug})
            return MenuItem(kind="link", url=url, label=label or title[:LABEL])
        if kind == "taxonomy" and target == "category" and object_id in self.categories:
            return MenuItem(kind="category", category_id=self.categories[object_id], label=label)
        if kind == "custom" and item.meta.get(KIND_META) in FIXED_LINKS:
            # The archives or the feeds entry of this blog's own export.
            return MenuItem(kind=item.meta[KIND_META])
        if kind == "custom":
            return self._link(item, label)
        what = f"{target or kind or 'an item'} {object_id}" if object_id else target or kind
        return f"“{label or '(no label)'}” ({what}: not imported here)"

    def _link(self, item: Item, label: str) -> MenuItem | str:
        url = item.meta.get("_menu_item_url", "").strip()
        parts = urlsplit(url)
        if parts.netloc and parts.netloc == self.base.netloc:
            # The old site's own address: the same path here, where its old address leads.
            url = parts.path or "/"
            if parts.query:
                url += f"?{parts.query}"
        if not url or url.startswith("#") or link_problem(url) or len(url) > 500:
            return f"“{label or url}” (the link {url or '(none)'}: menus here take https or a path)"
        return MenuItem(kind="link", url=url, label=label or url[:LABEL])


def _object_id(item: Item) -> int | None:
    value = item.meta.get("_menu_item_object_id", "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None
