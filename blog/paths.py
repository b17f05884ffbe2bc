"""Site paths for links, built once: routing costs ~10 µs a URL, and pages hold dozens."""

from flask import current_app, has_request_context, request, url_for

# Under one script root the same endpoint and values always give the same path. Left out:
# relative endpoints (".x" depends on the current blueprint), options such as _external,
# and static files while templates auto-reload (their fingerprint follows edits made while
# the site runs; otherwise files change only with a deploy, which restarts the workers).
_paths: dict[tuple, str] = {}
PATHS_KEPT = 20_000


def path_for(endpoint: str, **values) -> str:
    """Return url_for(endpoint, **values), from memory when it was built before.

    Outside a request (a command, a test) the path has no script root.
    """
    root = script_root()
    key = (root, endpoint, *values.items())
    path = _paths.get(key)
    if path is None:
        if has_request_context():
            path = url_for(endpoint, **values)
        else:
            path = current_app.url_map.bind("localhost").build(endpoint, values)
        if _memorable(endpoint, values):
            if len(_paths) >= PATHS_KEPT:
                _paths.clear()
            _paths[key] = path
    return path


def _memorable(endpoint: str, values: dict) -> bool:
    if endpoint[0] == "." or any(k[0] == "_" for k in values):
        return False
    return endpoint != "static" or not current_app.config["TEMPLATES_AUTO_RELOAD"]


def script_root() -> str:
    """Return the mount prefix this request came through ("" outside a request)."""
    return request.script_root if has_request_context() else ""
