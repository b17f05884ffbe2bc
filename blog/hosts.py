"""The host names the site answers to; a request for any other gets a 400 before the cache.

Absolute URLs (canonical, Open Graph, JSON-LD, feeds, sitemap, robots.txt) follow the request's
Host unless BASE_URL is set, and the page cache keeps one copy of a page per host: a forged
Host would put its name in those URLs, and a stream of random ones would push the real pages
out of the cache. So in production only the site's own names get through:

- TRUSTED_HOSTS (a list, or names separated by commas) and the host of BASE_URL, when
  either is set;
- else the address `make serve` binds (SERVE_ADDRESS, 127.0.0.1:PORT) and localhost.

SERVE_ADDRESS is how production is known: `make serve` sets it. Without it (make run, flask
run, tests) a BASE_URL alone refuses nothing, and with neither setting any host is answered.
"""

import functools
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.exceptions import SecurityError
from werkzeug.sansio.utils import get_host

REFUSAL = b"Bad request: this site does not answer to that host name.\n"


def trusted_hosts(config) -> tuple[str, ...] | None:
    """Return the host names the site answers to, or None for any (local development)."""
    named = config.get("TRUSTED_HOSTS") or ()
    return _trusted(
        (named,) if isinstance(named, str) else tuple(named),
        config.get("BASE_URL") or "",
        config.get("SERVE_ADDRESS") or "",
    )


@functools.lru_cache(maxsize=8)
def _trusted(named: tuple[str, ...], base_url: str, serve_address: str) -> tuple[str, ...] | None:
    hosts = [host for entry in named for host in entry.replace(",", " ").split()]
    if not hosts and not serve_address:
        return None
    if base_host := urlsplit(base_url).hostname:
        hosts.append(base_host)
    if not hosts:
        hosts = [urlsplit(f"//{serve_address}").hostname or "127.0.0.1", "localhost"]
    return tuple(dict.fromkeys(hosts))


def describe(config) -> str | None:
    """Return the line `make serve` prints at start: whom it answers, and how to change it."""
    hosts = trusted_hosts(config)
    if not config.get("SERVE_ADDRESS") or hosts is None:
        return None
    names = ", ".join(hosts)
    if config.get("TRUSTED_HOSTS") or config.get("BASE_URL"):
        return f"Answering requests for {names} only (BLOG_BASE_URL, BLOG_TRUSTED_HOSTS)."
    return (
        f"Answering requests for {names} only: set BLOG_BASE_URL=https://your.site "
        "(or BLOG_TRUSTED_HOSTS='[\"your.site\"]') to serve the public address."
    )


def link_root(config) -> str | None:
    """Return where a link printed by `make serve` must point: BASE_URL, if it is set there."""
    if not config.get("SERVE_ADDRESS"):
        return None
    return config.get("BASE_URL") or None


class TrustedHostMiddleware:
    """Answer 400, before the page cache and Flask, a request whose Host is not trusted."""

    def __init__(self, wsgi_app, config):
        self.wsgi_app = wsgi_app
        self.config = config

    def __call__(self, environ, start_response):
        hosts = trusted_hosts(self.config)
        if hosts is not None and not _is_trusted(environ, hosts):
            start_response(
                "400 Bad Request",
                [
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Length", str(len(REFUSAL))),
                    ("Cache-Control", "no-store"),
                ],
            )
            return [b""] if environ.get("REQUEST_METHOD") == "HEAD" else [REFUSAL]
        return self.wsgi_app(environ, start_response)


def _is_trusted(environ, hosts: tuple[str, ...]) -> bool:
    server = None
    if environ.get("SERVER_NAME") and environ.get("SERVER_PORT", "").isdigit():
        server = (environ["SERVER_NAME"], int(environ["SERVER_PORT"]))
    try:
        host = get_host(
            environ.get("wsgi.url_scheme", "http"), environ.get("HTTP_HOST"), server, hosts
        )
    except SecurityError:
        return False
    return bool(host)


def guard(app: Flask) -> None:
    """Put the host check in front of what app.wsgi_app is now (the page cache)."""
    # Only where some host could be refused: elsewhere (make run, tests) the cache stays
    # app.wsgi_app, and an explicit TRUSTED_HOSTS set later is still Flask's own check.
    hosts = trusted_hosts(app.config)
    if hosts is not None:
        app.wsgi_app = TrustedHostMiddleware(app.wsgi_app, app.config)
    if app.config["TRUSTED_HOSTS"]:
        # Flask checks its own list too, later: BASE_URL's host must pass there as well.
        app.config["TRUSTED_HOSTS"] = list(hosts)
