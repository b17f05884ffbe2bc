"""What every imported WordPress item (post or page) takes from its <item>: one rule each."""

import re
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from blog.dates import to_utc
from blog.posts.status import Status
from blog.render import plain_text, render_body
from blog.wordpress.wxr import Item

# An image in a body that still loads from another host (its src is absolute).
_REMOTE_IMAGE = re.compile(r"""<img\b[^>]*?\bsrc=["']?((?:https?:)?//[^"'\s>]+)""", re.IGNORECASE)
STATUSES = {
    "publish": Status.PUBLISHED,
    "future": Status.PUBLISHED,
    "draft": Status.DRAFT,
    "pending": Status.DRAFT,
    "private": Status.DRAFT,
    "trash": Status.TRASH,
}


def item_date(item: Item, zone: ZoneInfo) -> datetime | None:
    """Return when WordPress dates the item, in UTC: post_date_gmt, else post_date in zone."""
    return item.date_gmt or (item.date_local and to_utc(item.date_local, zone))


def html_text(html: str) -> str:
    """Return the text of a title or name WordPress keeps as HTML ("News &amp; Views")."""
    return plain_text(render_body(html, "html"))


def html_name(html: str, fallback: str) -> str:
    return html_text(html)[:120] or fallback


def item_title(item: Item) -> str:
    return html_text(item.title)[:300] or "(untitled)"


def item_status(item: Item) -> tuple[str, str]:
    """Return the item's status here, and why it is a draft when WordPress hid it from readers.

    A private post or page, or a public one behind a password, must not become readable by
    anyone.
    """
    if item.status == "private":
        return Status.DRAFT, "private"
    if item.password and item.status in ("publish", "future"):
        return Status.DRAFT, "password-protected"
    return STATUSES.get(item.status, Status.DRAFT), ""


def remote_images(html: str) -> list[str]:
    """Return the host of every image in a body that still loads from another site."""
    return [urlsplit(src).netloc for src in _REMOTE_IMAGE.findall(html)]


def counted(count: int, noun: str, plural: str = "") -> str:
    """Return "1 post", "2 posts": the summary lines of import and export read as sentences."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
