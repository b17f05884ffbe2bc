"""Site settings the editor can change, stored in the database over the config defaults."""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import current_app, g
from sqlalchemy import select

from blog.extensions import db
from blog.models import Setting


@dataclass(frozen=True)
class SiteSettings:
    title: str
    tagline: str
    timezone: str
    posts_per_page: int

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def load_settings() -> SiteSettings:
    """Return the site settings for this request, read once (one query) and kept in g."""
    if "site_settings" not in g:
        stored = dict(db.session.execute(select(Setting.key, Setting.value)).all())
        config = current_app.config
        g.site_settings = SiteSettings(
            title=stored.get("title", config["SITE_TITLE"]),
            tagline=stored.get("tagline", config["SITE_TAGLINE"]),
            timezone=stored.get("timezone", config["TIMEZONE"]),
            posts_per_page=int(stored.get("posts_per_page", config["POSTS_PER_PAGE"])),
        )
    return g.site_settings


def fallback_settings() -> SiteSettings:
    """Return settings from the config alone, for error pages when the database fails."""
    config = current_app.config
    return SiteSettings(
        config["SITE_TITLE"],
        config["SITE_TAGLINE"],
        config["TIMEZONE"],
        int(config["POSTS_PER_PAGE"]),
    )
