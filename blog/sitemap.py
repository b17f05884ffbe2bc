"""The sitemap (sitemaps.org 0.9): the home page, every archive, page and public post.

Past MAX_URLS addresses, /sitemap.xml becomes an index of numbered parts. Posts are read as
(slug, dates) rows, never as Post objects, so a site of 100,000 posts builds in one pass.
"""

import math
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from urllib.parse import quote
from xml.sax.saxutils import escape

from sqlalchemy import Select, func, select

from blog import pages
from blog.category_tree import ancestors
from blog.dates import utc_offset_minutes
from blog.extensions import db
from blog.feeds import rfc3339
from blog.models import Category, Post, Tag, User, post_tags
from blog.posts.listings import is_public
from blog.settings import load_settings
from blog.urls import absolute_url

# The sitemaps.org limit per file; tests make it small.
MAX_URLS = 50_000
NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
CONTENT_TYPE = "application/xml; charset=utf-8"


class Url(NamedTuple):
    loc: str
    lastmod: datetime | None


def _newest(*times: datetime | None) -> datetime | None:
    return max((t for t in times if t is not None), default=None)


def _dated(endpoint: str, rows, key: str) -> list[Url]:
    """Turn (value, newest publication) rows into URLs, leaving out empty archives."""
    return [
        Url(absolute_url(endpoint, **{key: value}), newest)
        for value, newest in rows
        if newest is not None
    ]


def _with_subcategories(rows) -> list[tuple[str, datetime | None]]:
    """Turn (id, slug, parent id, own newest post) rows into (slug, its family's newest).

    A category lists its subcategories' posts too (category_tree.family): a parent with
    none of its own is in the sitemap, dated by its children's newest.
    """
    tree = {id_: (None, slug, parent) for id_, slug, parent, _ in rows}
    newest: dict[int, datetime] = {}
    for id_, _, _, date in rows:
        if date is None:
            continue
        for member in [id_, *ancestors(id_, tree)]:
            if member in tree and (member not in newest or newest[member] < date):
                newest[member] = date
    return sorted((tree[id_][1], date) for id_, date in newest.items())


def _newest_post(*criteria) -> Any:
    """Return a correlated subquery: the newest publication among public posts matching."""
    return select(func.max(Post.published_at)).where(is_public(), *criteria).scalar_subquery()


def archive_urls() -> list[Url]:
    """Return the home page, the archives index and every archive that lists a public post.

    A listing's lastmod is its newest post's publication: what changes the listing. Those
    dates are in the listing indexes, so these queries never read whole rows: one index
    lookup per category and author, not a pass over every post.
    """
    site_lastmod = db.session.scalar(select(func.max(Post.published_at)).where(is_public()))
    urls = [
        Url(absolute_url("public.index"), site_lastmod),
        Url(absolute_url("public.archives"), site_lastmod),
    ]
    categories = select(
        Category.id,
        Category.slug,
        Category.parent_id,
        _newest_post(Post.category_id == Category.id).correlate(Category),
    )
    authors = select(
        User.username, _newest_post(Post.author_id == User.id).correlate(User)
    ).order_by(User.username)
    tags = (
        select(Tag.slug, func.max(Post.published_at))
        .join(post_tags, post_tags.c.tag_id == Tag.id)
        .join(Post, Post.id == post_tags.c.post_id)
        .where(is_public())
        .group_by(Tag.id, Tag.slug)
        .order_by(Tag.slug)
    )
    by_family = _with_subcategories(db.session.execute(categories).all())
    urls += _dated("public.category", by_family, "slug")
    urls += _dated("public.tag", db.session.execute(tags), "slug")
    urls += _dated("public.author", db.session.execute(authors), "username")
    urls += _date_urls()
    urls += _page_urls()
    return urls


def _page_urls() -> list[Url]:
    """Return every published page (About, Contact ...), last changed when last saved."""
    return [
        Url(absolute_url("public.child_page", parent=parent, slug=slug), updated)
        if parent
        else Url(absolute_url("public.page", slug=slug), updated)
        for slug, parent, updated in pages.sitemap_rows()
    ]


def _date_urls() -> list[Url]:
    """Return every year and month archive with a public post, each year before its months."""
    # Months are counted the way the archives page counts them (blog.posts.listings.archive_months):
    # in the site's time zone at its current UTC offset, so both list the same months.
    offset = utc_offset_minutes(load_settings().zone)
    if db.engine.dialect.name == "sqlite":
        local = func.datetime(Post.published_at, f"{offset:+d} minutes")
        year, month = func.strftime("%Y", local), func.strftime("%m", local)
    else:
        local = Post.published_at + timedelta(minutes=offset)
        year, month = func.extract("year", local), func.extract("month", local)
    stmt = (
        select(year.label("y"), month.label("m"), func.max(Post.published_at))
        .where(is_public())
        .group_by("y", "m")
        .order_by(db.text("y DESC, m DESC"))
    )
    urls, seen = [], None
    for y, m, newest in db.session.execute(stmt):
        if int(y) != seen:
            # Its newest month comes first, holding the year's newest post.
            seen = int(y)
            urls.append(Url(absolute_url("public.year", year=seen), newest))
        urls.append(Url(absolute_url("public.month", year=seen, month=int(m)), newest))
    return urls


def _post_rows(offset: int, limit: int) -> Select:
    # In id order, so that a part's contents only change when its own posts do.
    return (
        select(Post.slug, Post.updated_at, Post.published_at)
        .where(is_public())
        .order_by(Post.id)
        .offset(offset)
        .limit(limit)
    )


def post_urls(offset: int, limit: int) -> list[Url]:
    """Return public posts offset..offset+limit as URLs, read as plain rows."""
    if limit <= 0:
        return []
    # One url_for for all of them: building 100,000 URLs one by one is most of the work.
    prefix, _, suffix = absolute_url("public.post", slug="\x00").partition("%00")
    return [
        Url(f"{prefix}{quote(slug, safe='')}{suffix}", max(updated, published))
        for slug, updated, published in db.session.execute(_post_rows(offset, limit))
    ]


def _posts_lastmod(offset: int, limit: int) -> datetime | None:
    if limit <= 0:
        return None
    rows = _post_rows(offset, limit).subquery()
    newest = select(func.max(rows.c.updated_at), func.max(rows.c.published_at))
    return _newest(*db.session.execute(newest).one())


def public_post_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Post).where(is_public()))


def _part_bounds(archives: int, number: int) -> tuple[int, int, int, int]:
    """Return the archive slice and the post offset and limit of part number (from 1)."""
    start, stop = (number - 1) * MAX_URLS, number * MAX_URLS
    post_offset = max(0, start - archives)
    return min(start, archives), min(stop, archives), post_offset, stop - archives - post_offset


def sitemap_document(number: int | None = None) -> str | None:
    """Return /sitemap.xml (number None) or part number of the index; None if there is none."""
    archives = archive_urls()
    total = len(archives) + public_post_count()
    parts = math.ceil(total / MAX_URLS)
    if number is None and parts <= 1:
        return urlset_xml([*archives, *post_urls(0, total)])
    if number is None:
        entries = []
        for n in range(1, parts + 1):
            first, last, offset, limit = _part_bounds(len(archives), n)
            lastmod = _newest(
                *(url.lastmod for url in archives[first:last]), _posts_lastmod(offset, limit)
            )
            entries.append(Url(absolute_url("public.discovery.sitemap_part", number=n), lastmod))
        return index_xml(entries)
    if parts <= 1 or not 1 <= number <= parts:
        return None
    first, last, offset, limit = _part_bounds(len(archives), number)
    return urlset_xml([*archives[first:last], *post_urls(offset, limit)])


def _entries(urls: list[Url], tag: str) -> list[str]:
    lines = []
    for url in urls:
        lastmod = f"<lastmod>{rfc3339(url.lastmod)}</lastmod>" if url.lastmod else ""
        lines.append(f"<{tag}><loc>{escape(url.loc)}</loc>{lastmod}</{tag}>\n")
    return lines


def urlset_xml(urls: list[Url]) -> str:
    head = f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{NAMESPACE}">\n'
    return "".join([head, *_entries(urls, "url"), "</urlset>\n"])


def index_xml(parts: list[Url]) -> str:
    head = f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{NAMESPACE}">\n'
    return "".join([head, *_entries(parts, "sitemap"), "</sitemapindex>\n"])
