"""The addresses a WordPress site published, kept working after its import.

Each redirects for good, query string kept, to a path built from route values: never to a
host or scheme the request chose. A date or a page number costs no query; a post, a category,
a tag or an image one indexed look-up (and one more for a renamed one's old slug).

Every permalink structure WordPress offers leads to the post: day and name
(/2024/05/09/slug/), month and name (/2024/05/slug/), numeric (/archives/123), post name
(/slug/), plain (/?p=123) and custom ones (/%category%/%postname%/ ...), whose last part is
the slug. An address that names nothing here is a 404, never a redirect to a guess.
"""

import re
from functools import cache
from typing import NoReturn

from flask import Blueprint, Response, abort, current_app, request
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.routing import Map

from blog import pages
from blog.dates import archive_date
from blog.paths import path_for
from blog.posts import listings
from blog.public.moved import moved_or_404, permanent_redirect
from blog.redirects import old_slug_target
from blog.urls import small_int
from blog.wordpress import addresses
from blog.wordpress.body import upload_key

bp = Blueprint("wordpress", __name__)

# What WordPress adds after an address: a feed, an embed, a page of comments or of the post.
_ENDPOINTS = {"feed", "rss", "rss2", "rdf", "atom", "embed", "trackback", "amp", "attachment"}
_COMMENT_PAGE = re.compile(r"comment-page-[0-9]+")
# The query arguments of WordPress's plain links that this blog answers.
_PLAIN = ("p", "page_id", "attachment_id", "cat", "tag", "m", "feed", "paged", "s")


def home_redirect() -> Response | None:
    """Return where the home page's WordPress queries lead (/?p=ID, /?cat=ID ...), if anywhere.

    An id or slug that names nothing here leaves the home page as it is.
    """
    args = request.args
    if not any(name in args for name in _PLAIN):
        return None
    # WordPress's plain links (/?p=ID, /?page_id=ID) of imported posts lead to them for good.
    wp_id = args.get("p", type=small_int) or args.get("page_id", type=small_int)
    if wp_id is not None and (found := listings.post_by_wp_id(wp_id)) is not None:
        return permanent_redirect(path_for("public.post", slug=found.slug), p=None, page_id=None)
    # An imported page's (WordPress numbers pages and posts alike).
    if wp_id is not None and (address := pages.public_page_address(wp_id=wp_id)) is not None:
        return permanent_redirect(address, p=None, page_id=None)
    # An attachment's own page (?attachment_id=ID, or ?p=ID as WordPress also answers it).
    attachment = args.get("attachment_id", type=small_int) or args.get("p", type=small_int)
    if attachment is not None and (name := addresses.attachment_file(wp_id=attachment)):
        return _file(name, attachment_id=None, p=None)
    if "s" in args:
        return _search()
    feed = args.get("feed")
    kind, slug = _plain_archive(args)
    if slug is not None:
        if feed is not None:
            endpoint = f"public.discovery.{kind}_feed"
            return _gone(endpoint, slug=slug, fmt=_feed_format(feed), cat=None, tag=None)
        return _gone(f"public.{kind}", slug=slug, cat=None, tag=None, page=_paged(args))
    if "cat" in args or "tag" in args:
        return None
    if (month := _plain_month(args.get("m", ""))) is not None:
        return _gone(*month, m=None, page=_paged(args))
    if feed is not None:
        return _gone("public.discovery.site_feed", fmt=_feed_format(feed))
    if "paged" in args and (number := args.get("paged", type=small_int)) and number > 1:
        return _gone("public.index", page=number)
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


def _plain_archive(args) -> tuple[str, str | None]:
    """Return the category (?cat=ID) or tag (?tag=slug) a plain link names, if public."""
    if (term_id := args.get("cat", type=small_int)) is not None:
        return "category", addresses.public_category_slug(term_id)
    if tag := args.get("tag"):
        if listings.public_archive("tag", tag) is not None:
            return "tag", tag
        return "tag", old_slug_target("tag", tag)
    return "", None


def _plain_month(value: str) -> tuple | None:
    """Return the archive ?m=2024, ?m=202405 or ?m=20240509 names, if a date it could show."""
    if not (value.isascii() and value.isdigit() and len(value) in (4, 6, 8)):
        return None
    year, month = int(value[:4]), int(value[4:6] or 1)
    if not archive_date(year, month):
        return None
    if len(value) == 4:
        return "public.year", {"year": year}
    return "public.month", {"year": year, "month": month}


def _paged(args) -> int | None:
    number = args.get("paged", type=small_int)
    return number if number and number > 1 else None


def _feed_format(value: str) -> str:
    return "atom" if value == "atom" else "rss"


def _gone(endpoint: str, values: dict | None = None, **query) -> Response:
    """Redirect for good to an endpoint, dropping WordPress's query arguments."""
    route = {k: query.pop(k) for k in ("slug", "fmt") if k in query}
    query = {name: None for name in _PLAIN if name != "s"} | query
    return permanent_redirect(path_for(endpoint, **(values or {}), **route), **query)


def _file(filename: str, **query) -> Response:
    return permanent_redirect(path_for("public.media", filename=filename), **query)


def post_name_redirect(slug: str) -> Response | None:
    """Return where an address ending in a WordPress slug leads: its post or its image.

    The post name permalink (/slug/) and the last part of every other structure end here.
    """
    if not _may_be_slug(slug):
        return None
    if (current := listings.public_slug(slug)) is not None:
        return permanent_redirect(path_for("public.post", slug=current))
    # A page's slug (from its memo, no query): a page WordPress had deeper down (/a/b/slug/),
    # or a child page asked for at the top. After posts: /2024/05/slug/ is a post's.
    if (address := pages.public_page_address(slug=slug)) is not None:
        return permanent_redirect(address)
    if (name := addresses.attachment_file(slug=slug)) is not None:
        return _file(name)
    if (current := old_slug_target("post", slug)) is not None:
        return permanent_redirect(path_for("public.post", slug=current))
    return None


def _may_be_slug(value: str) -> bool:
    # WordPress makes a slug's dots hyphens: /wp-config.php/ or /x.env/ need no look-up.
    return 0 < len(value) <= 320 and "." not in value and "/" not in value


def _post_or_404(slug: str) -> Response:
    if (found := post_name_redirect(slug)) is None:
        _not_found()
    return found


def _not_found() -> NoReturn:
    """Answer 404; or 405 for an address of the site's own that takes another method.

    The catch-all addresses answer GET for any path, so the router never gets to say that
    GET /auth/sign-out is the wrong method (it is a POST).
    """
    adapter = current_app.create_url_adapter(request)
    others = set(adapter.allowed_methods()) - {"GET", "HEAD", "OPTIONS"}
    if others:
        raise MethodNotAllowed(valid_methods=sorted(others | {"OPTIONS"}))
    abort(404)


@cache
def _own_first_parts(url_map: Map) -> frozenset[str]:
    """Return the first parts of this site's own static addresses (editor, posts, media ...)."""
    parts = set()
    for rule in url_map.iter_rules():
        first = rule.rule.lstrip("/").split("/", 1)[0]
        if first and "<" not in first:
            parts.add(first)
    return frozenset(parts) | {"wp-content", "wp-includes"}


@bp.get("/<path:rest>/", strict_slashes=False)
def custom_permalink(rest: str):
    """Send a custom structure's permalink (/%category%/%postname%/ ...) to the post."""
    parts = [part for part in rest.split("/") if part]
    # Under one of this site's own addresses nothing is WordPress's: a plain 404, no look-up.
    if not parts or parts[0] in _own_first_parts(current_app.url_map):
        _not_found()
    return permalink_or_404(parts)


def permalink_or_404(parts: list[str]) -> Response:
    """Send the parts of a permalink of any structure to what its slug names, else 404.

    The slug is the last part, before what WordPress adds after a post's address (/feed/,
    /embed/, /comment-page-2/, /2/ for its second page).
    """
    parts = list(parts)
    while len(parts) > 1 and (parts[-1] in _ENDPOINTS or _COMMENT_PAGE.fullmatch(parts[-1])):
        parts.pop()
    if len(parts) > 2 and parts[-2] == "page" and parts[-1].isdigit():
        del parts[-2:]
    if len(parts) > 1 and parts[-1].isascii() and parts[-1].isdigit():
        parts.pop()
    return _post_or_404(parts[-1])


@bp.get("/archives/<int:wp_id>/", strict_slashes=False)
def numeric_permalink(wp_id: int):
    """Send a numeric permalink (/archives/123) to the post WordPress numbered so."""
    found = listings.post_by_wp_id(wp_id)
    if found is None:
        abort(404)
    return permanent_redirect(path_for("public.post", slug=found.slug))


@bp.get("/wp-content/uploads/<path:path>")
def upload(path: str):
    """Send a WordPress upload's address (any of its sizes) to the image it became here."""
    name = addresses.upload_file(upload_key(path, exact=True), upload_key(path))
    if name is None:
        abort(404)
    return _file(name)


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
    return _post_or_404(slug)


@bp.get("/<int:year>/<int:month>/<int:day>/<slug>/", strict_slashes=False)
def day_permalink(year: int, month: int, day: int, slug: str):
    """Send a day and name permalink (/2024/05/09/its-slug/) to the post."""
    return _post_or_404(slug)


@bp.get("/<int:year>/<int:month>/<int:day>/page/<int(min=1):number>/", strict_slashes=False)
def day_page(year: int, month: int, day: int, number: int):
    """Send WordPress's /2024/05/09/page/2/ to the month archive's page 2."""
    _check_date(year, month)
    return _page("public.month", number, year=year, month=month)


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


@bp.get("/category/<path:slugs>/", strict_slashes=False)
def category_archive(slugs: str):
    """Send a WordPress category archive (/category/news/, /category/world/europe/) here.

    WordPress names a child category with its parents' slugs first; this blog's categories
    have one slug each. A /feed/ or /page/2/ after it goes to the feed or the page.
    """
    parts = [part for part in slugs.split("/") if part]
    if len(parts) > 1 and parts[-1] in _ENDPOINTS - {"attachment", "embed", "trackback"}:
        fmt = "atom" if parts[-1] == "atom" else "rss"
        parts = parts[:-2] if parts[-2] == "feed" and len(parts) > 2 else parts[:-1]
        return permanent_redirect(
            path_for("public.discovery.category_feed", slug=parts[-1], fmt=fmt)
        )
    number = 1
    if len(parts) > 2 and parts[-2] == "page" and parts[-1].isdigit():
        number, parts = int(parts[-1]), parts[:-2]
    return category_page(parts[-1], number)


@bp.get("/tag/<slug>/")
def tag_archive(slug: str):
    """Send a WordPress tag archive (/tag/space/) to the tag's page."""
    return tag_page(slug, 1)


# WordPress puts its feeds at .../feed/: readers and old subscriptions guess those addresses.
# The slug is not looked up: the feed answers for it (a 404, or its new slug).
@bp.get("/feed/", strict_slashes=False)
@bp.get("/feed/<any(rss2, rss, rdf, atom):kind>/", strict_slashes=False)
@bp.get("/comments/feed/", strict_slashes=False)
def site_feed(kind: str = "rss"):
    """Send WordPress's feed addresses to the RSS feed (or the Atom one)."""
    fmt = "atom" if kind == "atom" else "rss"
    return permanent_redirect(path_for("public.discovery.site_feed", fmt=fmt))


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
