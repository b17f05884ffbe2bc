"""How readers and crawlers find the posts: feeds, the sitemap and robots.txt."""

from datetime import UTC
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, redirect, request

from blog import category_tree, feeds, sitemap
from blog.cache import make_conditional
from blog.paths import path_for
from blog.posts import listings
from blog.public.moved import moved_or_404
from blog.settings import load_settings
from blog.urls import absolute_url, absolutize

bp = Blueprint("discovery", __name__)

# Feed readers poll; a few minutes of caching spares the database without delaying news much.
FEED_MAX_AGE = 300


def _feed_response(fmt: str, feed: feeds.Feed) -> Response:
    if fmt == "atom":
        response = Response(feeds.atom_xml(feed), content_type=feeds.ATOM_TYPE)
    else:
        response = Response(feeds.rss_xml(feed), content_type=feeds.RSS_TYPE)
    response.last_modified = feed.updated.replace(tzinfo=UTC)
    response.cache_control.public = True
    response.cache_control.max_age = FEED_MAX_AGE
    response.add_etag()
    return make_conditional(response, request.environ)


def _feed_urls(endpoint: str, **values) -> dict[str, str]:
    return {
        "atom_url": absolute_url(endpoint, fmt="atom", **values),
        "rss_url": absolute_url(endpoint, fmt="rss", **values),
    }


@bp.get("/feed.<any(atom, rss):fmt>")
def site_feed(fmt: str):
    """Serve the newest posts of the whole site as Atom or RSS."""
    site = load_settings()
    feed = feeds.Feed(
        title=site.title,
        publisher=site.title,
        subtitle=site.tagline,
        page_url=absolute_url("public.index"),
        posts=feeds.feed_posts(),
        **_feed_urls("public.discovery.site_feed"),
    )
    return _feed_response(fmt, feed)


def _archive_feed(fmt: str, found, name: str, subtitle: str, kind: str, values: dict):
    """Serve the newest posts of one public archive (category, tag, author) as Atom or RSS."""
    site = load_settings()
    feed = feeds.Feed(
        title=f"{name} · {site.title}",
        publisher=site.title,
        subtitle=subtitle or site.tagline,
        page_url=absolute_url(f"public.{kind}", **values),
        posts=feeds.feed_posts(listings.archive_posts(kind, _archive_value(kind, found.id))),
        **_feed_urls(f"public.discovery.{kind}_feed", **values),
    )
    return _feed_response(fmt, feed)


def _archive_value(kind: str, id_: int) -> int | list[int]:
    # A category's feed, as its page, carries its subcategories' posts.
    return category_tree.family(id_) if kind == "category" else id_


@bp.get("/category/<slug>/feed.<any(atom, rss):fmt>")
def category_feed(slug: str, fmt: str):
    """Serve the newest posts of one category as Atom or RSS."""
    found = listings.public_archive("category", slug)
    if found is None:
        return moved_or_404("category", slug, "public.discovery.category_feed", fmt=fmt)
    return _archive_feed(fmt, found, found.name, found.description, "category", {"slug": slug})


@bp.get("/tag/<slug>/feed.<any(atom, rss):fmt>")
def tag_feed(slug: str, fmt: str):
    """Serve the newest posts with one tag as Atom or RSS."""
    found = listings.public_archive("tag", slug)
    if found is None:
        return moved_or_404("tag", slug, "public.discovery.tag_feed", fmt=fmt)
    return _archive_feed(fmt, found, found.name, "", "tag", {"slug": slug})


@bp.get("/author/<username>/feed.<any(atom, rss):fmt>")
def author_feed(username: str, fmt: str):
    """Serve the newest posts of one author as Atom or RSS."""
    found = listings.public_archive("author", username)
    if found is None:
        abort(404)
    return _archive_feed(
        fmt, found, found.display_name, found.bio, "author", {"username": username}
    )


def _xml_response(document: str | None) -> Response:
    if document is None:
        abort(404)
    response = Response(document, content_type=sitemap.CONTENT_TYPE)
    response.add_etag()
    return make_conditional(response, request.environ)


@bp.get("/sitemap.xml")
def sitemap_index():
    """Serve the sitemap, or past its size limit the index of its parts."""
    return _xml_response(sitemap.sitemap_document())


@bp.get("/sitemap-<int:number>.xml")
def sitemap_part(number: int):
    """Serve one part of a sitemap too large for one file."""
    return _xml_response(sitemap.sitemap_document(number))


@bp.get("/favicon.ico")
def favicon():
    """Send those who ask for /favicon.ico (feed readers, crawlers) to the site's icon."""
    # To the fingerprinted URL, which is cached for a year: this redirect is kept a day, so
    # a new icon reaches everyone by then, and only one copy of it is ever stored.
    response = redirect(path_for("static", filename="favicon.svg"), 302)
    response.cache_control.public = True
    response.cache_control.max_age = 24 * 3600
    return response


@bp.get("/robots.txt")
def robots():
    """Point crawlers to the sitemap and keep them out of the editor and sign-in pages."""
    # From the blueprints themselves, so that a moved prefix stays disallowed.
    private = [current_app.blueprints[n].url_prefix.rstrip("/") + "/" for n in ("editor", "auth")]
    # Result pages for every possible query are a crawler trap, and say nothing new.
    urls = [*map(absolutize, private), absolute_url("public.search")]
    # Paths from the host's root: under the prefix the site is mounted at, if any.
    lines = ["User-agent: *", *(f"Disallow: {urlsplit(url).path}" for url in urls)]
    lines += ["", f"Sitemap: {absolute_url('public.discovery.sitemap_index')}", ""]
    return Response("\n".join(lines), content_type="text/plain; charset=utf-8")
