"""Site settings the editor can change, stored in the database over the config defaults."""

from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, g
from sqlalchemy import delete, select

from blog.cache import memo_by_stamp
from blog.extensions import db
from blog.models import Setting


@dataclass(frozen=True)
class SiteSettings:
    title: str
    tagline: str
    timezone: str
    posts_per_page: int
    # A line of the editor's at the foot of every page (a copyright, an address); plain text.
    footer_line: str = ""
    # Curly quotes and dashes in Markdown bodies, applied as each post is saved (or rerendered).
    typographic_quotes: bool = False

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def load_settings() -> SiteSettings:
    """Return the site settings, read once per content change per process, kept in g."""
    if "site_settings" not in g:
        g.site_settings = memo_by_stamp("site_settings", _read_settings)
    return g.site_settings


def _read_settings() -> SiteSettings:
    stored = dict(db.session.execute(select(Setting.key, Setting.value)).all())
    defaults = fallback_settings()
    return SiteSettings(
        title=stored.get("title", defaults.title),
        tagline=stored.get("tagline", defaults.tagline),
        timezone=_valid_zone(stored.get("timezone"), defaults.timezone),
        posts_per_page=_valid_page_size(stored.get("posts_per_page"), defaults.posts_per_page),
        footer_line=stored.get("footer_line", defaults.footer_line),
        typographic_quotes=stored.get("typographic_quotes") == "1",
    )


def _valid_zone(value: str | None, default: str) -> str:
    """Return value if it names a time zone: a bad stored value must not break every page."""
    if value:
        try:
            ZoneInfo(value)
            return value
        except (ValueError, OSError, ZoneInfoNotFoundError):
            pass
    return default


def _valid_page_size(value: str | None, default: int) -> int:
    try:
        number = int(value) if value is not None else default
    except ValueError:
        return default
    return number if 1 <= number <= 50 else default


def stored_typographic_quotes() -> bool:
    """Read the typographic quotes setting from the database itself, for commands that
    render every post (no memo: a restore reads a database the site has not shown yet)."""
    stored = db.session.get(Setting, "typographic_quotes")
    return stored is not None and stored.value == "1"


def fallback_settings() -> SiteSettings:
    """Return settings from the config alone, for error pages when the database fails."""
    config = current_app.config
    return SiteSettings(
        config["SITE_TITLE"],
        config["SITE_TAGLINE"],
        config["TIMEZONE"],
        int(config["POSTS_PER_PAGE"]),
    )


def save_settings(settings: SiteSettings) -> None:
    """Store the site settings in the session (the caller commits), over the config defaults.

    Every page reads these, so a value that would break them is refused here too.
    """
    try:
        settings.zone  # noqa: B018 - resolving the zone is the check
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"Unknown time zone {settings.timezone!r}.") from error
    if not 1 <= settings.posts_per_page <= 50:
        raise ValueError("Posts per page must be from 1 to 50.")
    for key, value in (
        ("title", settings.title),
        ("tagline", settings.tagline),
        ("timezone", settings.timezone),
        ("posts_per_page", str(settings.posts_per_page)),
        ("typographic_quotes", "1" if settings.typographic_quotes else "0"),
    ):
        db.session.merge(Setting(key=key, value=value))
    # Optional: a blank footer line is no row at all.
    if settings.footer_line:
        db.session.merge(Setting(key="footer_line", value=settings.footer_line))
    else:
        db.session.execute(delete(Setting).where(Setting.key == "footer_line"))
    g.pop("site_settings", None)
