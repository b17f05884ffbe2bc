"""WordPress pages, imported as this site's pages at the addresses they had (/about/, /about/team/).

- A page keeps its slug and its parent, so that its old address is its address here. This
  site's pages nest one level: a page deeper down goes under its top-level ancestor (its old
  address still leads to it, blog/public/wordpress.py), and the summary says so.
- A slug that an address of the site's own takes (/search/, /category/ ...), that is a number
  (a year's archive) or that another page has gets -2, -3 ... and is named in the summary.
- Statuses, dates and bodies follow the rules of posts (blog.wordpress.item_fields): a private
  or password-protected page becomes a draft, named in the summary.
- A page whose WordPress id the site already has is skipped: importing twice is safe.
- Its approved comments come in as a post's do (blog.wordpress.comments), a re-import adding
  those the page lacks.
"""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from blog.extensions import db
from blog.models import Page, utcnow
from blog.pages import reserved_slugs
from blog.posts.status import Status
from blog.render import BodyTooComplex, body_fields
from blog.slugs import slugify
from blog.wordpress.body import Converted
from blog.wordpress.comments import earlier_page, import_comments
from blog.wordpress.item_fields import item_date, item_status, item_title, remote_images
from blog.wordpress.wxr import Item, WxrError

if TYPE_CHECKING:  # importing calls this module: only the type checker reads these
    from blog.wordpress.importing import Report, _Images


def import_pages(
    items: Iterable[Item],
    *,
    convert: Callable[[Item], Converted],
    images: "_Images",
    zone: ZoneInfo,
    report: "Report",
    link_id: Callable[[Item], int | None],
    progress: Callable[[int], object] | None = None,
) -> None:
    """Write the file's pages as pages, in the caller's transaction, one at a time.

    convert turns an item's content into this site's HTML (as for posts); link_id finds the id
    of an item that has none in its plain link (/?page_id=ID).
    """
    known = set(db.session.scalars(select(Page.wp_id).where(Page.wp_id.is_not(None))))
    taken = set(db.session.scalars(select(Page.slug)))
    # WordPress id -> (page id, parent's WordPress id, title): no page is kept, nor its body.
    made: dict[int, tuple[int, int, str]] = {}
    for item in items:
        if progress:
            progress(1)
        wp_id = item.wp_id if item.wp_id is not None else link_id(item)
        if wp_id is not None and wp_id in known:
            report.already_imported += 1
            if earlier := earlier_page(item, wp_id):
                _import_comments(item, earlier, zone, report, new_page=False)
            continue
        page = _page(item, wp_id, convert, images, zone, report, taken)
        db.session.add(page)
        db.session.flush()
        report.comments.update(item.comments)
        _import_comments(item, page, zone, report, new_page=True)
        if wp_id is not None:
            known.add(wp_id)
            made[wp_id] = (page.id, item.parent, page.title)
        report.pages += 1
    _file_under_parents(made, report)


def _import_comments(item: Item, page: Page, zone, report: "Report", *, new_page: bool) -> None:
    hidden = bool(item_status(item)[1])
    done = import_comments(item, page, zone, hidden=hidden, new_post=new_page)
    if done:
        done["pages"] = 1  # the summary then says "posts and pages"
    report.comments_done += done


def _page(item, wp_id, convert, images, zone, report, taken: set[str]) -> Page:
    converted = convert(item)
    # A trashed page's slug has "__trashed" appended; WordPress keeps the one it had.
    original = item.meta.get("_wp_desired_post_slug") if item.status == "trash" else None
    given = unquote(original or item.slug)
    wanted = slugify(given or item.title)
    slug = free_slug(wanted, taken)
    taken.add(slug)
    if given and slug != wanted:
        report.notes.append(
            f"The page {given} could not keep its address (/{wanted}/ is the site's own or "
            f"another page's): it is at /{slug}/."
        )
    status, hidden = item_status(item)
    if hidden:
        report.hidden.append((item_title(item), slug, hidden))
    dated = item_date(item, zone)
    published = (dated or utcnow()) if status == Status.PUBLISHED else None
    hosts = remote_images(converted.html)
    if hosts:
        report.remote_images += len(hosts)
        report.remote_hosts.update(hosts)
    thumbnail = item.meta.get("_thumbnail_id", "").strip()
    image, alt = images.by_id.get(int(thumbnail) if thumbnail.isdigit() else -1, (None, ""))
    seo_title = item.meta.get("_yoast_wpseo_title", "")
    try:
        body_html = body_fields(converted.html, "html").body_html
    except BodyTooComplex as error:
        raise WxrError(f"Page {item.title!r} is too complex to render ({error}).") from None
    return Page(
        wp_id=wp_id,
        title=item_title(item),
        slug=slug,
        body_format="html",
        body_source=converted.html,
        body_html=body_html,
        status=status,
        published_at=published,
        created_at=dated or utcnow(),
        updated_at=_updated(item, dated),
        image=image,
        image_alt=alt,
        seo_title="" if "%%" in seo_title else " ".join(seo_title.split())[:300],
        seo_description=" ".join(item.meta.get("_yoast_wpseo_metadesc", "").split())[:500],
        version=1,
    )


def _updated(item: Item, dated: datetime | None) -> datetime:
    return item.modified_gmt or dated or utcnow()


def free_slug(wanted: str, taken: set[str]) -> str:
    """Return wanted, or wanted-2, -3 ...: the first no page and no route of the site has."""
    reserved = reserved_slugs()
    wanted = (wanted or "page")[:310]
    slug, number = wanted, 2
    while slug in taken or slug.lower() in reserved or slug.isdigit():
        slug, number = f"{wanted}-{number}", number + 1
    return slug


def _file_under_parents(made: dict[int, tuple[int, int, str]], report: "Report") -> None:
    """Give each page its parent: the top-level page above it, in the file or on the site."""
    on_site = dict(
        db.session.execute(
            select(Page.wp_id, Page.id).where(Page.wp_id.is_not(None), Page.parent_id.is_(None))
        ).all()
    )
    moved_up, parents = [], []
    for wp_id, (page_id, parent, title) in made.items():
        chain = []
        while parent and parent in made and parent not in chain and parent != wp_id:
            chain.append(parent)
            parent = made[parent][1]
        top = chain[-1] if chain else parent
        if not chain and top in on_site and top != wp_id:
            parents.append({"id": page_id, "parent_id": on_site[top]})
        elif chain:
            parents.append({"id": page_id, "parent_id": made[top][0]})
            if len(chain) > 1:
                moved_up.append(title)
    if parents:
        db.session.execute(update(Page), parents)
    if moved_up:
        one = len(moved_up) == 1
        report.notes.append(
            (
                "1 page was more than one level deep: it is now under its top-level page "
                "(its old address leads to it): "
                if one
                else f"{len(moved_up)} pages were more than one level deep: each is now under "
                "its top-level page (their old addresses lead to them): "
            )
            + ", ".join(moved_up[:10])
        )
