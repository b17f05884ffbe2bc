"""Old addresses: a slug a post, category or tag had before answers with its new address."""

from urllib.parse import urlencode

from flask import abort, redirect, request, url_for
from werkzeug.wrappers import Response

from blog.redirects import old_slug_target


def permanent_redirect(location: str) -> Response:
    """Send the request to location for good, with its query string."""
    if request.args:
        location += "?" + urlencode(list(request.args.items(multi=True)))
    return redirect(location, 301)


def moved_or_404(kind: str, slug: str, endpoint: str, **values):
    """Send a request for an old slug to the row's address for good, query kept; else 404."""
    current = old_slug_target(kind, slug)
    if current is None:
        abort(404)
    response = permanent_redirect(url_for(endpoint, slug=current, **values))
    # Browsers would keep a 301 with no lifetime for good, and a new post may take the old
    # slug one day: an hour is enough to spare the lookup.
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
