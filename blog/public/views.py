"""What readers see: the home page, posts, the archives and search."""

import functools
from datetime import UTC, datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    render_template,
    request,
)
from flask_login import current_user

from blog import category_tree, front, pages
from blog.cache import CACHEABLE_HEADER, FILLING, content_stamp, make_conditional, stamp_date
from blog.dates import archive_date, month_range, utc_offset_minutes
from blog.media import served_type
from blog.paths import path_for
from blog.posts import featured, listings, post_page
from blog.posts.comments import page_comments, post_comments
from blog.public import discovery, files, wordpress
from blog.public.moved import moved_or_404, permanent_redirect
from blog.search.pages import search_pages
from blog.search.results import search_posts
from blog.settings import load_settings
from blog.urls import page_number, reserved_segments

bp = Blueprint("public", __name__)
# Browsers revalidate every time (cheap: 304); a shared cache (a CDN) may keep a page for a
# minute, and serve it half a minute more while it fetches the new one: a publish shows there
# within 90 s. The page cache and nginx's micro-cache follow the content itself.
CACHE_CONTROL = "public, max-age=0, s-maxage=60, stale-while-revalidate=30"
bp.register_blueprint(discovery.bp)
bp.register_blueprint(wordpress.bp)
# The reading design's small helpers, for the templates (the error pages' too).
for helper in (
    front.author_bio,
    front.author_photo,
    front.standfirst,
    front.initials,
    front.latest_cards,
):
    bp.add_app_template_global(helper)


@bp.after_request
def http_caching(response):
    """Let browsers, proxies and the page cache keep anonymous pages, fresh to the change."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    if current_user.is_authenticated or request.endpoint == "public.media":
        response.headers.setdefault("Cache-Control", "private, no-cache")
        return response
    # The names once: werkzeug's `in` and setdefault raise and catch an exception for each
    # header that is absent, which costs more than this whole loop.
    present = {name.lower() for name, _ in response.headers}
    added = []
    if "cache-control" not in present:
        added.append(("Cache-Control", CACHE_CONTROL))
    stamp = content_stamp()
    if stamp and "last-modified" not in present:
        added.append(("Last-Modified", stamp_date(stamp)))
    if FILLING in request.environ:
        due = listings.next_scheduled_time()
        expires = str(due.replace(tzinfo=UTC).timestamp()) if due else "inf"
        added.append((CACHEABLE_HEADER, expires))
    response.headers.extend(added)
    if "etag" not in present:
        response.add_etag(overwrite=True)  # there is none: spare add_etag its own look
    return make_conditional(response, request.environ)


def _page_number() -> int:
    """Return the listing's ?page= number: one parser for every paginated page, else a 404."""
    number = page_number(request.args.get("page"))
    if number is None:
        abort(404)
    return number


def _listing(template: str, listing: str, value=None, params=None, **context):
    return render_template(template, page=_listing_page(listing, value, params), **context)


def _listing_page(listing: str, value=None, params=None) -> listings.Page:
    page = listings.paginate_posts(
        listing,
        value,
        **(params or {}),
        page=_page_number(),
        per_page=load_settings().posts_per_page,
        key=request.path,
    )
    # A date with no posts is no archive: a 404, or crawlers would find one per month since
    # 1970. (A category, tag or author with none was a 404 already: listings.public_archive.)
    if page is None or (listing == "month" and not page.total):
        abort(404)
    return page


@bp.get("/")
def index():
    """Show the featured posts, the first one leading, then the newest, a page at a time."""
    if moved := wordpress.home_redirect():
        return moved
    page = _listing_page("home")
    pinned = page.page == 1 and bool(featured.featured_cards())
    if pinned:
        page.items = featured.home_items(page.items)
    arrange = functools.partial(front.front_page, pinned=pinned)
    return render_template("public/index.html", page=page, arrange=arrange)


@bp.get("/posts/<slug>")
def post(slug: str):
    """Show one public post with its neighbours and related posts."""
    found = post_page.public_post(slug)
    if found is None:
        return moved_or_404("post", slug, "public.post")
    older, newer = post_page.adjacent_posts(found)
    return render_template(
        "public/post.html",
        post=found,
        older=older,
        newer=newer,
        related=front.with_pictures(post_page.related_posts(found)),
        comments=post_comments(found.id),
    )


@bp.get("/category/<slug>")
def category(slug: str):
    """List the public posts of one category, its featured ones first."""
    found = listings.public_archive("category", slug)
    if found is None:
        return moved_or_404("category", slug, "public.category")
    family = category_tree.family(found.id)  # its subcategories' posts are its too
    page = _listing_page("category", family)
    if page.page == 1:
        # Its own lead: the category's featured posts, in the editor's order.
        page.items = featured.category_items(page.items, family)
    return render_template(
        "public/archive.html",
        page=page,
        heading=found.name,
        kind="Category",
        description=found.description,
        crumbs=category_tree.breadcrumb(found.id),
        subcategories=category_tree.subcategories(found.id),
    )


@bp.get("/tag/<slug>")
def tag(slug: str):
    """List the public posts with one tag."""
    found = listings.public_archive("tag", slug)
    if found is None:
        return moved_or_404("tag", slug, "public.tag")
    return _listing("public/archive.html", "tag", found.id, heading=found.name, kind="Tag")


@bp.get("/author/<username>")
def author(username: str):
    """List the public posts of one author, with their bio."""
    found = listings.public_archive("author", username)
    if found is None:
        abort(404)
    return _listing(
        "public/archive.html",
        "author",
        found.id,
        heading=found.display_name,
        kind="Author",
        description=found.bio,
    )


@bp.get("/archive/")
def archives():
    """List every month that has posts, with its count."""
    return render_template("public/archives.html", months=_archive_months())


def _archive_months() -> list[tuple[int, int, int]]:
    return listings.archive_months(utc_offset_minutes(load_settings().zone))


def _canonical_or_redirect(endpoint: str, **values):
    """Send another spelling of an archive's numbers to the one address links use, for good.

    /archive/2026/04/ and /archive/02026/4/ are /archive/2026/4/: the form every link, the
    sitemap and every canonical URL have carried, so no known address moves.
    """
    canonical = path_for(endpoint, **values)
    if request.script_root + request.path != canonical:
        return permanent_redirect(canonical)
    return None


@bp.get("/archive/<int:year>/")
def year(year: int):
    """List the public posts of one calendar year, with links to its months."""
    if not archive_date(year):
        abort(404)
    if moved := _canonical_or_redirect("public.year", year=year):
        return moved
    zone = load_settings().zone
    start, end = month_range(year, 1, zone)[0], month_range(year, 12, zone)[1]
    # The month listing holds the posts of any [start, end) range: a year's is one too.
    return _listing(
        "public/archive.html",
        "month",
        start,
        {"end": end},
        heading=str(year),
        kind="Year",
        year=year,
        months=[(m, count) for y, m, count in _archive_months() if y == year],
    )


@bp.get("/archive/<int:year>/<int:month>/")
def month(year: int, month: int):
    """List the public posts of one calendar month."""
    if not archive_date(year, month):
        abort(404)
    if moved := _canonical_or_redirect("public.month", year=year, month=month):
        return moved
    start, end = month_range(year, month, load_settings().zone)
    return _listing(
        "public/archive.html",
        "month",
        start,
        {"end": end},
        heading=datetime(year, month, 1).strftime("%B %Y"),
        kind="Month",
        year=year,
    )


@bp.get("/search")
def search():
    """Search the public posts: the best matches first, a page at a time."""
    query = request.args.get("q", "")
    number = _page_number()
    if not query.strip():
        return render_template("public/search.html", query="", results=None)
    results = search_posts(query, page=number, per_page=load_settings().posts_per_page)
    if results is None:
        abort(404)
    # Pages (About, Contact ...) come above the posts, on the first page of results.
    found_pages = search_pages(results.query) if number == 1 else []
    return render_template(
        "public/search.html", query=query, results=results, found_pages=found_pages
    )


# strict_slashes off: an unknown /name is a 404 at once, not a redirect to /name/ first.
# One route for every /name/: a page of the site, else an imported WordPress post's old
# address (its post name permalink), else a 404 (or a 405 for the site's own addresses that
# take another method). Two routes of one shape cannot both be asked: the router settles on one.
@bp.get("/<slug>/", strict_slashes=False)
def page(slug: str):
    """Show a published top-level page (About, Contact ...): no date, byline or category."""
    reserved = slug.lower() in reserved_segments(current_app.url_map)
    found = None if reserved else pages.public_page(slug)
    if found is None:
        if not reserved and (moved := pages.moved_page_url(slug.lower())):
            return permanent_redirect(moved)
        return wordpress.permalink_or_404([slug])
    return _page(found, "public.page", slug=slug)


@bp.get("/<parent>/<slug>/", strict_slashes=False)
def child_page(parent: str, slug: str):
    """Show a published page under another one, at /parent/slug/ (else a WordPress permalink)."""
    reserved = parent.lower() in reserved_segments(current_app.url_map)
    found = None if reserved else pages.public_page(slug, parent)
    if found is None:
        if not reserved and (moved := pages.moved_page_url(f"{parent}/{slug}".lower())):
            return permanent_redirect(moved)
        return wordpress.custom_permalink(f"{parent}/{slug}")
    return _page(found, "public.child_page", parent=parent, slug=slug)


def _page(found, endpoint: str, **values):
    if not request.path.endswith("/"):
        return permanent_redirect(path_for(endpoint, **values))
    return render_template("public/page.html", page=found, comments=page_comments(found.id))


@bp.get("/media/<path:filename>")
def media(filename: str):
    """Serve an uploaded image under its server-chosen name, cached for good."""
    # Only names save_upload makes are served, with the type of what it stored: never HTML or
    # SVG, never a path outside the folder, never a type the browser has to guess.
    content_type = served_type(filename)
    if content_type is None:
        # Not an image's name: a WordPress permalink under a category named "media"
        # (/%category%/%postname%/), or a 404 (names with a dot need no look-up).
        return wordpress.permalink_or_404(["media", *filter(None, filename.split("/"))])
    response = files.send_media_file(filename, mimetype=content_type, max_age=31536000)
    if response.status_code == 416:
        return response  # the range asked for is past the end: nothing here to keep
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # The name is random and its content never changes: browsers need not even revalidate.
    response.cache_control.immutable = True
    return response
