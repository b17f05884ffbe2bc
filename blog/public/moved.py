"""Old addresses: a slug a post, category or tag had before answers with its new address."""

from urllib.parse import urlencode

from flask import abort, redirect, request, url_for

from blog.redirects import old_slug_target


def moved_or_404(kind: str, slug: str, endpoint: str, **values):
    """Send a request for an old slug to the row's address for good, query kept; else 404."""
    current = old_slug_target(kind, slug)
    if current is None:
        abort(404)
    location = url_for(endpoint, slug=current, **values)
    if request.args:
        location += "?" + urlencode(list(request.args.items(multi=True)))
    response = redirect(location, 301)
    # Browsers would keep a 301 with no lifetime for good, and a new post may take the old
    # slug one day: an hour is enough to spare the lookup.
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
