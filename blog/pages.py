"""Pages: About, Contact ... at the site's top level (/about/, /about/team/), saved like posts.

A page has no date, byline, category or tags, is in no listing, feed or search, and is in the
sitemap. Its slug must not take an address the site's own routes use.
"""

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import aliased, joinedload

from blog.cache import memo_by_stamp
from blog.extensions import db
from blog.models import OldSlug, Page, PageRevision, utcnow
from blog.paths import path_for, script_root
from blog.posts.status import Status
from blog.redirects import forget_slug, remember_slug
from blog.render import body_fields
from blog.slugs import slugify
from blog.urls import reserved_segments

STATUSES = tuple(Status)


@dataclass(frozen=True, slots=True)
class PageLink:
    id: int
    title: str
    url: str
    slug: str = ""
    from_wordpress: bool = False  # imported: WordPress's addresses of it may be asked for


@dataclass
class PageInput:
    """What the page form holds, already validated."""

    title: str
    body: str
    body_format: str = "markdown"
    slug: str = ""
    parent_id: int | None = None
    status: str = "draft"  # draft | publish
    image_id: int | None = None
    image_alt: str = ""
    seo_title: str = ""
    seo_description: str = ""


def reserved_slugs() -> frozenset[str]:
    """Return the first path segments the site's own routes use: no page may take them."""
    return reserved_segments(current_app.url_map)


def slug_problem(slug: str, page: Page | None) -> str | None:
    """Return why a page cannot have this slug (a route's, a number, another page's), or None."""
    if not slug:
        return None
    if slug.isdigit():
        return f"“{slug}” is a number, which reads as a year's archive. Choose a slug with a word."
    if slug in reserved_slugs():
        return f"The address /{slug}/ belongs to the site itself. Choose another slug."
    stmt = select(Page).where(Page.slug == slug)
    if page is not None and page.id is not None:
        stmt = stmt.where(Page.id != page.id)
    other = db.session.scalar(stmt.limit(1))
    if other is not None:
        where = " (in the trash)" if other.status == Status.TRASH else ""
        return f"The page “{other.title}”{where} already has the slug “{slug}”. Choose another."
    return None


def wanted_slug(data: PageInput, page: Page | None) -> str:
    """Return the slug typed, else the page's own once published, else one from the title."""
    if data.slug.strip():
        return slugify(data.slug)
    if page is not None and page.slug and page.published_at is not None:
        return page.slug
    return slugify(data.title)


def parent_choices(page: Page | None) -> list[tuple[int, str]]:
    """Return the pages that can be this one's parent: top-level pages other than itself."""
    stmt = select(Page.id, Page.title).where(Page.parent_id.is_(None), Page.status != Status.TRASH)
    if page is not None:
        stmt = stmt.where(Page.id != page.id)
    return [(id_, title) for id_, title in db.session.execute(stmt.order_by(Page.title))]


def has_children(page: Page | None) -> bool:
    if page is None:
        return False
    return db.session.scalar(select(Page.id).where(Page.parent_id == page.id).limit(1)) is not None


def _keep_revision(page: Page) -> None:
    db.session.add(
        PageRevision(
            page_id=page.id,
            version=page.version,
            title=page.title,
            body_format=page.body_format,
            body_source=page.body_source,
            saved_at=page.updated_at,
        )
    )


def fill_page(page: Page, data: PageInput, typographic: bool = False) -> None:
    """Apply the form to a page object without saving it (also used by the preview).

    typographic: the site's typographic-quotes setting, as for posts.
    """
    page.title = data.title.strip()
    page.body_format = data.body_format
    page.body_source = data.body
    page.body_html = body_fields(data.body, data.body_format, typographic=typographic).body_html
    page.parent_id = data.parent_id or None
    page.image_id = data.image_id
    page.image_alt = data.image_alt.strip() if data.image_id else ""
    page.seo_title = data.seo_title.strip()
    page.seo_description = data.seo_description.strip()
    if page.status == Status.TRASH:
        return  # a save edits a trashed page where it is, as for posts
    if data.status == "publish":
        page.status = Status.PUBLISHED
        page.published_at = page.published_at or utcnow()
    else:
        page.status = Status.DRAFT


def save_page(page: Page | None, data: PageInput, typographic: bool = False) -> Page:
    """Create or update a page, keeping the previous version as a revision.

    The caller checked the slug with slug_problem: a page's address is never renumbered
    silently, since menus and links name it. A published page that moves (a new slug or
    parent) keeps its old address, and its children theirs, as redirects.
    """
    with db.session.no_autoflush:
        if page is None:
            page = Page(version=0)
            old_path = None
        else:
            _keep_revision(page)
            old_path = _path(page) if page.status == Status.PUBLISHED else None
        page.slug = wanted_slug(data, page)
        fill_page(page, data, typographic)
        page.version += 1
        page.updated_at = utcnow()
        db.session.add(page)
    db.session.flush()
    new_path = _path(page)
    forget_slug("page", new_path)  # the page lives there (again): no redirect
    if old_path is not None and old_path != new_path:
        remember_slug("page", page.id, old_path)
        children = select(Page.id, Page.slug).where(
            Page.parent_id == page.id, Page.status == Status.PUBLISHED
        )
        for child_id, child_slug in db.session.execute(children).all():
            remember_slug("page", child_id, f"{old_path}/{child_slug}")
    return page


def _path(page: Page) -> str:
    """Return a page's address without its slashes: "about", or "about/team" under a parent."""
    parent = db.session.scalar(select(Page.slug).where(Page.id == page.parent_id))
    return f"{parent}/{page.slug}" if parent else page.slug


def moved_page_url(path: str) -> str | None:
    """Return where the published page that once lived at path ("about/team") is now."""
    links, moved = _addresses()
    link = links.get(moved.get(path, 0))
    return link.url if link else None


def restore_revision(page: Page, revision: PageRevision, typographic: bool = False) -> None:
    """Bring back an earlier version's text; the current one becomes a revision itself."""
    _keep_revision(page)
    page.title = revision.title
    page.body_format = revision.body_format
    page.body_source = revision.body_source
    page.body_html = body_fields(
        revision.body_source, revision.body_format, typographic=typographic
    ).body_html
    page.version += 1
    page.updated_at = utcnow()


def move_to_trash(page: Page) -> None:
    page.status = Status.TRASH
    page.version += 1


def restore_from_trash(page: Page) -> None:
    """Bring a page back from the trash as a draft: nothing goes live."""
    page.status = Status.DRAFT
    page.version += 1


def delete_for_good(page: Page) -> None:
    """Delete a trashed page, with its revisions, menu items and comments; its children move up."""
    db.session.execute(delete(Page).where(Page.id == page.id, Page.status == Status.TRASH))


_PARENT = aliased(Page)
_PUBLIC_PAGES = (
    select(Page.id, Page.title, Page.slug, _PARENT.slug, Page.wp_id)
    .outerjoin(_PARENT, _PARENT.id == Page.parent_id)
    .where(Page.status == Status.PUBLISHED)
    .order_by(Page.title, Page.id)
)


def page_url(slug: str, parent_slug: str | None) -> str:
    if parent_slug:
        return path_for("public.child_page", parent=parent_slug, slug=slug)
    return path_for("public.page", slug=slug)


def _addresses() -> tuple[dict[int, PageLink], dict[str, int]]:
    """Every published page by id with its address, and every page's old paths: read once
    per content change (a site has few), so that an address no page has costs no query."""

    def load():
        rows = db.session.execute(_PUBLIC_PAGES)
        links = {
            id_: PageLink(id_, title, page_url(slug, parent), slug, wp_id is not None)
            for id_, title, slug, parent, wp_id in rows
        }
        old = select(OldSlug.slug, OldSlug.page_id).where(OldSlug.kind == "page")
        return links, dict(db.session.execute(old).all())

    return memo_by_stamp(f"page_addresses:{script_root()}", load)


def public_pages() -> dict[int, PageLink]:
    """Return every published page by id, with its address."""
    return _addresses()[0]


def public_page_address(*, slug: str | None = None, wp_id: int | None = None) -> str | None:
    """Return the address of the imported published page with this slug or WordPress id.

    Where a WordPress page's old addresses lead (?page_id=ID, /a/b/slug/). A slug is answered
    from public_pages' memo, with no query: every unknown /name/ asks here.
    """
    if slug is not None:
        found = (p for p in public_pages().values() if p.from_wordpress and p.slug == slug)
        return next((link.url for link in found), None)
    found = db.session.scalar(
        select(Page.id).where(Page.wp_id == wp_id, Page.status == Status.PUBLISHED)
    )
    link = public_pages().get(found) if found is not None else None
    return link.url if link is not None else None


def public_page(slug: str, parent_slug: str | None = None) -> Page | None:
    """Return the published page at /slug/ or /parent_slug/slug/, with its image loaded.

    An address no published page has is answered from public_pages' memo, with no query:
    /slug/ is also every imported WordPress post's old address (blog/public/wordpress.py).
    """
    wanted = page_url(slug, parent_slug)
    if not any(link.url == wanted for link in public_pages().values()):
        return None
    stmt = select(Page).where(Page.slug == slug, Page.status == Status.PUBLISHED)
    if parent_slug is None:
        stmt = stmt.where(Page.parent_id.is_(None))
    else:
        stmt = stmt.join(_PARENT, _PARENT.id == Page.parent_id).where(_PARENT.slug == parent_slug)
    return db.session.scalar(stmt.options(joinedload(Page.image)))


def sitemap_rows() -> list[tuple[str, object]]:
    """Return (path, lastmod) of every published page, for the sitemap."""
    rows = db.session.execute(
        select(Page.slug, _PARENT.slug, Page.updated_at)
        .outerjoin(_PARENT, _PARENT.id == Page.parent_id)
        .where(Page.status == Status.PUBLISHED)
        .order_by(Page.id)
    )
    return [(slug, parent, updated) for slug, parent, updated in rows]


def rerender_pages(typographic: bool = False) -> int:
    """Render every page's body again by today's rules; return how many changed.

    After a restore or an upgrade; typographic: the site's typographic-quotes setting.
    """
    pages = Page.__table__
    rows = db.session.execute(
        select(
            pages.c.id,
            pages.c.body_source,
            pages.c.body_format,
            pages.c.body_html,
            pages.c.updated_at,
        )
    )
    updates = []
    for row in rows:
        html = body_fields(row.body_source, row.body_format, typographic=typographic).body_html
        if html != row.body_html:
            # updated_at as it was: nobody edited the page.
            updates.append({"b_id": row.id, "body_html": html, "updated_at": row.updated_at})
    if updates:
        db.session.execute(update(pages).where(pages.c.id == bindparam("b_id")), updates)
    return len(updates)
