"""What every template can use: the site's settings, its navigation, local dates."""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

from flask import Flask, current_app, g, request, url_for
from sqlalchemy.exc import SQLAlchemyError

from blog import menus
from blog.dates import MONTHS, local_dates, to_local
from blog.extensions import db
from blog.media import srcset
from blog.paths import path_for, script_root
from blog.posts.listings import nav_categories
from blog.seo import canonical_url, post_json_ld, utc_iso
from blog.settings import fallback_settings, load_settings
from blog.urls import absolute_url


def site_context() -> dict:
    links = layout_links()
    # Without the database: the site's name from the config, and no menus.
    bare = {"nav_categories": [], "header_menu": [], "footer_menu": [], "links": links}
    if g.get("database_down"):
        # An outage's error page: asking the database again would only wait for it again.
        return {"site": fallback_settings(), **bare}
    try:
        path = request.script_root + request.path
        return {
            "site": load_settings(),
            "nav_categories": nav_categories(),
            # Plain lists of links (label, url, current) for the masthead and the footer.
            "header_menu": menus.with_current(menus.menu_links("header"), path),
            "footer_menu": menus.with_current(menus.menu_links("footer"), path),
            "links": links,
        }
    except SQLAlchemyError:
        # The error page for a failing database must still render.
        db.session.rollback()
        return {"site": fallback_settings(), **bare}


# The links in every page's layout, by name: (endpoint, values).
LAYOUT_LINKS = {
    "css": ("static", {"filename": "css/site.css"}),
    "icon": ("static", {"filename": "favicon.svg"}),
    "atom": ("public.discovery.site_feed", {"fmt": "atom"}),
    "rss": ("public.discovery.site_feed", {"fmt": "rss"}),
    "home": ("public.index", {}),
    "search": ("public.search", {}),
    "archives": ("public.archives", {}),
}
_layout_links: dict[str, SimpleNamespace] = {}


def layout_links() -> SimpleNamespace:
    """Return the layout's links, built once per script root (while templates stay put)."""
    # Attributes, not dict keys: Jinja tries getattr first, and a miss raises.
    root = script_root()
    links = _layout_links.get(root)
    if links is None:
        links = SimpleNamespace(
            **{
                name: path_for(endpoint, **values)
                for name, (endpoint, values) in LAYOUT_LINKS.items()
            }
        )
        if not current_app.config["TEMPLATES_AUTO_RELOAD"]:  # static fingerprints may change
            _layout_links[root] = links
    return links


def local_date(value: datetime, fmt: str | None = None) -> str:
    """Format a stored UTC time in the site's time zone: as a post's date, or as fmt says."""
    zone = load_settings().zone
    return to_local(value, zone).strftime(fmt) if fmt else local_dates(value, zone)[1]


def iso_date(value: datetime) -> str:
    return to_local(value, load_settings().zone).isoformat(timespec="minutes")


def page_url(number: int) -> str:
    """Return this listing's URL at another page; page 1 has no query string."""
    args = dict(request.view_args or {})
    if number > 1:
        args["page"] = number
    return path_for(request.endpoint, **args)


@dataclass(frozen=True, slots=True)
class PageLink:
    number: int
    url: str
    gap_before: bool  # pages left out between this one and the one before


def page_links(page) -> list[PageLink]:
    """Return the links of a listing's pagination (page.window()), built in one pass."""
    links, previous = [], None
    for number in page.window():
        gap = previous is not None and number - previous > 1
        links.append(PageLink(number, page_url(number), gap))
        previous = number
    return links


EDITOR_NAV = [
    ("editor.posts.dashboard", "Posts"),
    ("editor.posts.new", "New post"),
    ("editor.pages.index", "Pages"),
    ("editor.media.index", "Media"),
    ("editor.taxonomy.categories", "Categories"),
    ("editor.taxonomy.tags", "Tags"),
    ("editor.menus.index", "Menus"),
    ("editor.site.settings", "Settings"),
    ("editor.site.profile", "Profile"),
]


def editor_nav() -> list[tuple[str, str]]:
    """Return the editor's menu: the sections this app has."""
    return [item for item in EDITOR_NAV if item[0] in current_app.view_functions]


def media_srcset(media) -> str:
    return srcset(media, lambda name: url_for("public.media", filename=name))


_fingerprints: dict[tuple[str, int], str] = {}


def static_fingerprint(filename: str) -> str:
    """Return a short hash of a static file's content, so its URL changes when it does."""
    path = Path(current_app.static_folder) / filename
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return "0"
    key = (filename, mtime)
    if key not in _fingerprints:
        _fingerprints[key] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return _fingerprints[key]


def register(app: Flask) -> None:
    app.context_processor(site_context)

    @app.url_defaults
    def fingerprint_static(endpoint, values):
        # With the content hash in the URL, a year-long cache lifetime is safe.
        if endpoint == "static" and "filename" in values:
            values.setdefault("v", static_fingerprint(values["filename"]))

    app.jinja_env.globals["url_for"] = path_for
    app.jinja_env.globals["month_names"] = MONTHS
    app.add_template_global(page_links)
    app.add_template_global(editor_nav)
    app.add_template_global(media_srcset)
    app.add_template_global(canonical_url)
    app.add_template_global(absolute_url)
    app.add_template_global(post_json_ld)
    app.add_template_filter(utc_iso)
    app.add_template_filter(local_date)
    app.add_template_filter(iso_date)
