"""Absolute URLs, right behind a proxy: the BASE_URL setting wins over the request's host."""

from flask import current_app, request, url_for


def base_url() -> str:
    """Return the site's public root without a trailing slash, e.g. https://news.example."""
    configured = current_app.config.get("BASE_URL") or ""
    return (configured or request.url_root).rstrip("/")


def absolute_url(endpoint: str, **values) -> str:
    """Return the absolute public URL of an endpoint."""
    return base_url() + url_for(endpoint, **values)


def absolutize(path: str) -> str:
    """Return a site path such as /posts/x as an absolute URL."""
    return base_url() + path if path.startswith("/") else path
