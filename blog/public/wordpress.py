"""The addresses a WordPress site published, kept working after its import.

Each redirects for good, query string kept, to a path built from route values: never to a
host or scheme the request chose. A date or a page number costs no query; a post, or a page of
an archive, one indexed look-up (and one more for a renamed archive's old slug).
"""

from flask import Blueprint, Response, abort, request

from blog.dates import archive_date
from blog.paths import path_for
from blog.posts import listings
from blog.public.moved import moved_or_404, permanent_redirect
from blog.urls import small_int

bp = Blueprint("wordpress", __name__)


def home_redirect() -> Response | None:
    """Return where the home page's WordPress queries lead (/?p=ID, /?s=words), if anywhere."""
    # WordPress's plain links (/?p=ID, /?page_id=ID) of imported posts lead to them for good.
    args = request.args
    wp_id = args.get("p", type=small_int) or args.get("page_id", type=small_int)
    if wp_id is not None and (found := listings.post_by_wp_id(wp_id)) is not None:
        return permanent_redirect(path_for("public.post", slug=found.slug), p=None, page_id=None)
    if "s" in args:
        return _search()
    return None


def _search(**query) -> Response:
    return permanent_redirect(path_for("public.search"), s=None, q=request.args["s"], **query)


def _page_arg(number: int) -> int | None:
    # Page 1 is the listing's own address, with no ?page=.
    return number if number > 1 else None


def _page(endpoint: str, number: int, **values) -> Response:
    return permanent_redirect(path_for(endpoint, **values), page=_page_arg(number))


def _check_date(year: int, month: int = 1) -> None:
    # The range the archive pages serve: anything else is no date they could show.
    if not archive_date(year, month):
        abort(404)


@bp.get("/<int:year>/", strict_slashes=False)
def year_archive(year: int):
    """Send WordPress's year archive (/2024/) to this blog's."""
    _check_date(year)
    return permanent_redirect(path_for("public.year", year=year))


@bp.get("/<int:year>/<int:month>/", strict_slashes=False)
def month_archive(year: int, month: int):
    """Send WordPress's month archive (/2024/05/) to this blog's."""
    _check_date(year, month)
    return permanent_redirect(path_for("public.month", year=year, month=month))


@bp.get("/<int:year>/<int:month>/<slug>/", strict_slashes=False)
def permalink(year: int, month: int, slug: str):
    """Send an imported post's WordPress permalink (/2024/05/its-slug/) to its address."""
    # WordPress gives no post a slug from 1 to 31 (its address would be a day's archive):
    # /2024/05/07/ is a day, which this blog lists with its month.
    if slug.isascii() and slug.isdigit() and 1 <= int(slug) <= 31:
        return month_archive(year, month)
    # The slug alone decides, as WordPress itself forgives a wrong date.
    current = listings.public_slug(slug)
    if current is None:
        abort(404)
    return permanent_redirect(path_for("public.post", slug=current))


@bp.get("/page/<int(min=1):number>/", strict_slashes=False)
def home_page(number: int):
    """Send WordPress's /page/2/ to the home page's page 2 (a search's, with ?s=words)."""
    if "s" in request.args:
        return _search(page=_page_arg(number))
    return _page("public.index", number)


@bp.get("/<int:year>/page/<int(min=1):number>/", strict_slashes=False)
def year_page(year: int, number: int):
    """Send WordPress's /2024/page/2/ to the year archive's page 2."""
    _check_date(year)
    return _page("public.year", number, year=year)


@bp.get("/<int:year>/<int:month>/page/<int(min=1):number>/", strict_slashes=False)
def month_page(year: int, month: int, number: int):
    """Send WordPress's /2024/05/page/2/ to the month archive's page 2."""
    _check_date(year, month)
    return _page("public.month", number, year=year, month=month)


@bp.get("/category/<slug>/page/<int(min=1):number>/", strict_slashes=False)
def category_page(slug: str, number: int):
    """Send WordPress's /category/<slug>/page/2/ to the category's page 2."""
    if listings.public_archive("category", slug) is None:
        return moved_or_404("category", slug, "public.category", {"page": _page_arg(number)})
    return _page("public.category", number, slug=slug)


@bp.get("/tag/<slug>/page/<int(min=1):number>/", strict_slashes=False)
def tag_page(slug: str, number: int):
    """Send WordPress's /tag/<slug>/page/2/ to the tag's page 2."""
    if listings.public_archive("tag", slug) is None:
        return moved_or_404("tag", slug, "public.tag", {"page": _page_arg(number)})
    return _page("public.tag", number, slug=slug)


@bp.get("/author/<username>/page/<int(min=1):number>/", strict_slashes=False)
def author_page(username: str, number: int):
    """Send WordPress's /author/<username>/page/2/ to the author's page 2."""
    if listings.public_archive("author", username) is None:
        abort(404)
    return _page("public.author", number, username=username)


# WordPress puts its feeds at .../feed/: readers and old subscriptions guess those addresses.
# The slug is not looked up: the feed answers for it (a 404, or its new slug).
@bp.get("/feed/", strict_slashes=False)
def site_feed():
    """Send WordPress's feed address to the RSS feed."""
    return permanent_redirect(path_for("public.discovery.site_feed", fmt="rss"))


@bp.get("/category/<slug>/feed/", strict_slashes=False)
def category_feed(slug: str):
    """Send a WordPress category feed address to its RSS feed."""
    return permanent_redirect(path_for("public.discovery.category_feed", slug=slug, fmt="rss"))


@bp.get("/tag/<slug>/feed/", strict_slashes=False)
def tag_feed(slug: str):
    """Send a WordPress tag feed address to its RSS feed."""
    return permanent_redirect(path_for("public.discovery.tag_feed", slug=slug, fmt="rss"))


@bp.get("/author/<username>/feed/", strict_slashes=False)
def author_feed(username: str):
    """Send a WordPress author feed address to its RSS feed."""
    return permanent_redirect(
        path_for("public.discovery.author_feed", username=username, fmt="rss")
    )


# Scanners try WordPress's sign-in and admin pages all day: a bare 404, with no page to
# render and no database to ask. (Their POSTs are refused before any view, as all are.)
@bp.get("/wp-login.php")
@bp.get("/wp-admin/", strict_slashes=False)
@bp.get("/wp-admin/<path:rest>")
def wordpress_admin(rest: str = ""):
    """Answer WordPress's admin and sign-in addresses with a plain 404: the editor is elsewhere."""
    return Response("Not Found\n", 404, content_type="text/plain; charset=utf-8")
