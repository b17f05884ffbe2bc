"""Absolute URLs, right behind a proxy: the BASE_URL setting wins over the request's host."""

import weakref

from flask import current_app, request
from werkzeug.routing import IntegerConverter, Map

from blog.paths import path_for, script_root

# Ids and page numbers fit PostgreSQL's 32-bit integer: anything larger is not a row, and
# must be a 404 or a default, never an overflow deep in the database driver.
INT_LIMIT = 2**31 - 1


class SmallIntConverter(IntegerConverter):
    """The <int:...> converter, bounded to what an id column can hold."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", INT_LIMIT)
        super().__init__(map, *args, **kwargs)


_reserved: "weakref.WeakKeyDictionary[Map, frozenset[str]]" = weakref.WeakKeyDictionary()


def reserved_segments(url_map: Map) -> frozenset[str]:
    """Return the first path segments the map's literal rules use, read once per map."""
    found = _reserved.get(url_map)
    if found is None:
        taken = set()
        for rule in url_map.iter_rules():
            first = rule.rule.lstrip("/").split("/", 1)[0]
            literal = first.split("<", 1)[0].split(".", 1)[0].rstrip("-")
            if literal:
                taken.add(literal.lower())
        found = _reserved[url_map] = frozenset(taken)
    return found


def small_int(value: str) -> int:
    """Parse a query or form number for request.args.get(type=...); out of range is invalid."""
    number = int(value)
    if not -INT_LIMIT <= number <= INT_LIMIT:
        raise ValueError("out of range")
    return number


def page_number(value: str | None) -> int | None:
    """Return the page a ?page= value names, or None when it names none (a 404).

    Absent is page 1; otherwise only the digits a link of ours carries: "abc", "0", "-1",
    " 2", "02", "+2" or a number past INT_LIMIT name no page, whatever int() would make of them.
    """
    if value is None:
        return 1
    if not (value.isascii() and value.isdigit()) or value[0] == "0" or len(value) > 10:
        return None
    number = int(value)
    return number if number <= INT_LIMIT else None


def base_url() -> str:
    """Return the site's public root without a trailing slash, e.g. https://news.example/blog.

    BASE_URL, when set, is that root: what request.url_root would be, script root (mount
    prefix) included. Site paths, the part after the script root, go after it.
    """
    configured = current_app.config.get("BASE_URL") or ""
    return (configured or request.url_root).rstrip("/")


def absolute_url(endpoint: str, **values) -> str:
    """Return the absolute public URL of an endpoint."""
    # A path starts with the script root, which base_url() already ends with.
    return absolutize(path_for(endpoint, **values)[len(script_root()) :])


def absolutize(path: str) -> str:
    """Return a site path (after the script root) such as /posts/x as an absolute URL."""
    return base_url() + path if path.startswith("/") else path
