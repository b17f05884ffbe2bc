"""The site's pages and menus in a WordPress export, as WordPress's own exporter writes them.

Pages are items of type page, each under its parent (post_parent), with their readers'
comments. A menu the editor arranged is a nav_menu term ("header", "footer") with one
nav_menu_item per link, pointing at a page, a category or a URL as WordPress's menus do; a
menu left automatic is not written, so that an import leaves it automatic too. The archives
and feeds entries, which WordPress has no kind for, are custom links that also say their kind
in _blog_menu_item_kind (WordPress keeps unknown postmeta as it is;
blog.wordpress.menus_import reads it back).
"""

from collections.abc import Iterator
from datetime import datetime
from xml.sax.saxutils import escape

from flask import current_app
from sqlalchemy import select

from blog.extensions import db
from blog.models import Comment, MenuItem, Page
from blog.posts.status import Status
from blog.wordpress.export_comments import comments_of
from blog.wordpress.wxr_writing import SITE_PATH, cdata, element, fields, item, tail

MENU_NAMES = {"header": "Header menu", "footer": "Footer menu"}
# What the kinds without a WordPress twin link to, and the meta that names them.
FIXED_LINKS = {
    "archives": ("public.archives", {}),
    "feeds": ("public.discovery.site_feed", {"fmt": "rss"}),
}
KIND_META = "_blog_menu_item_kind"


def free_ids(rows: list[tuple[int, int | None]], taken: set[int]) -> dict[int, int]:
    """Return each row's id in the file: its WordPress id when free, else the next free one."""
    ids, next_free = {}, max([*taken, 0]) + 1
    for row_id, wp_id in rows:
        if wp_id is None or wp_id in taken:
            wp_id, next_free = next_free, next_free + 1
        taken.add(wp_id)
        ids[row_id] = wp_id
    return ids


def page_rows() -> list[tuple[int, int | None]]:
    return [tuple(row) for row in db.session.execute(select(Page.id, Page.wp_id).order_by(Page.id))]


def page_items(ids: dict[int, int], base: str, creator: str, zone) -> Iterator[str]:
    """Yield every page as a WordPress page item, each naming its parent by its id here."""
    comments = comments_of(Comment.page_id, None, zone)
    for page in db.session.scalars(select(Page).order_by(Page.id)):
        status = {Status.PUBLISHED: "publish", Status.TRASH: "trash"}.get(page.status, "draft")
        body = page.body_source if page.body_format == "html" else page.body_html
        wp_id = ids[page.id]
        row = fields(
            escape(page.title),
            f"{base}/{page.slug}/",
            f"{base}/?page_id={wp_id}",
            page.published_at or page.created_at,
            creator,
            SITE_PATH.sub(rf'\1="{base}/', body),
            "",
            wp_id,
            page.published_at,
            page.updated_at,
            zone,
        )
        row |= tail(page.slug, status, "page")
        row["wp:post_parent"] = str(ids.get(page.parent_id, 0))
        meta = {}
        if page.seo_title:
            meta["_yoast_wpseo_title"] = page.seo_title
        if page.seo_description:
            meta["_yoast_wpseo_metadesc"] = page.seo_description
        yield item(row, [], meta, comments.get(page.id, ""))


def stored_menus() -> dict[str, list[MenuItem]]:
    """Return the items of each menu the editor arranged, header first, in their order."""
    menus: dict[str, list[MenuItem]] = {}
    stmt = select(MenuItem).order_by(MenuItem.position, MenuItem.id)
    for entry in db.session.scalars(stmt):
        menus.setdefault(entry.menu, []).append(entry)
    return {menu: menus[menu] for menu in MENU_NAMES if menu in menus}


def menu_terms(menus: dict[str, list[MenuItem]], first_term_id: int) -> str:
    """Return the <wp:term> of each menu the editor arranged."""
    lines = []
    for number, menu in enumerate(menus):
        lines.append(
            "\t<wp:term>\n"
            + element("wp:term_id", str(first_term_id + number))
            + element("wp:term_taxonomy", cdata("nav_menu"))
            + element("wp:term_slug", cdata(menu))
            + element("wp:term_parent", cdata(""))
            + element("wp:term_name", cdata(MENU_NAMES[menu]))
            + "\t</wp:term>\n"
        )
    return "".join(lines)


def menu_items(
    menus: dict[str, list[MenuItem]],
    first_id: int,
    page_ids: dict[int, int],
    base: str,
    creator: str,
    made: datetime,
) -> Iterator[str]:
    """Yield each stored menu item as a nav_menu_item, in its menu's order."""
    wp_id = first_id
    for menu, entries in menus.items():
        term = f'<category domain="nav_menu" nicename="{menu}">{cdata(MENU_NAMES[menu])}</category>'
        for order, entry in enumerate(entries, 1):
            kind, target, object_id, url = _target(entry, page_ids, base)
            link = f"{base}/?p={wp_id}"
            row = fields(
                escape(entry.label), link, link, made, creator, "", "", wp_id, made, made, None
            )
            row |= tail(str(wp_id), "publish", "nav_menu_item")
            row["wp:menu_order"] = str(order)
            meta = {
                "_menu_item_type": kind,
                "_menu_item_menu_item_parent": "0",
                "_menu_item_object_id": str(object_id),
                "_menu_item_object": target,
                "_menu_item_target": "",
                "_menu_item_classes": 'a:1:{i:0;s:0:"";}',
                "_menu_item_xfn": "",
                "_menu_item_url": url,
            }
            if entry.kind in FIXED_LINKS:
                meta[KIND_META] = entry.kind
            yield item(row, [term], meta)
            wp_id += 1


def _target(entry: MenuItem, page_ids, base: str) -> tuple[str, str, int, str]:
    """Return WordPress's (type, object, object id, url) for a menu item."""
    if entry.kind == "category":
        # A category's term id in the file is its id here (blog.wordpress.export).
        return "taxonomy", "category", entry.category_id or 0, ""
    if entry.kind == "page" and entry.page_id in page_ids:
        return "post_type", "page", page_ids[entry.page_id], ""
    if entry.kind in FIXED_LINKS:
        # base is the site's root, its mount prefix included: the path after it.
        path = current_app.url_map.bind("").build(*FIXED_LINKS[entry.kind])
        return "custom", "custom", 0, base + path
    prefix = current_app.config["APPLICATION_ROOT"].rstrip("/")
    url = entry.url
    if url.startswith("/"):
        url = base + (url[len(prefix) :] if prefix and url.startswith(prefix + "/") else url)
    return "custom", "custom", 0, url
