"""Old addresses: a slug a post, category or tag had before answers with its new address."""

from urllib.parse import urlencode

from flask import abort, redirect, request, url_for
from werkzeug.wrappers import Response

from blog.posts.listings import public_archive
from blog.redirects import old_slug_target


def permanent_redirect(location: str, **query: str | int | None) -> Response:
    """Send the request to location for good, with its query string.

    Each keyword sets that query argument, or drops it when None: /page/2/?page=5 is page 2.
    """
    pairs = [(k, v) for k, v in request.args.items(multi=True) if k not in query]
    pairs += [(k, v) for k, v in query.items() if v is not None]
    if pairs:
        location += "?" + urlencode(pairs)
    return redirect(location, 301)


def moved_or_404(kind: str, slug: str, endpoint: str, query: dict | None = None, **values):
    """Send a request for an old slug to the row's address for good, query kept; else 404."""
    current = old_slug_target(kind, slug)
    # A category or tag with no public post is a 404 at its new slug: its old one must not
    # name the new one either.
    if current is None or (kind != "post" and public_archive(kind, current) is None):
        abort(404)
    response = permanent_redirect(url_for(endpoint, slug=current, **values), **(query or {}))
    # Browsers would keep a 301 with no lifetime for good, and a new post may take the old
    # slug one day: an hour is enough to spare the lookup.
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
