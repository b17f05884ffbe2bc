"""What a post's (or a page's) page shows of the readers' comments brought over from WordPress.

One statement per page, whatever the number of comments; the rows come back as plain values
for the template, which escapes every one of them. Threads are drawn by indent, to a depth.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import bindparam, select

from blog.dates import local_dates
from blog.extensions import db
from blog.models import Comment
from blog.settings import load_settings

COMMENTS = Comment.__table__
URL_LENGTH = 500  # the column's
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_DEPTH = 3  # deeper replies line up with the last indent: narrow screens keep their width

_SHOWN = select(
    COMMENTS.c.wp_id,
    COMMENTS.c.parent_wp_id,
    COMMENTS.c.author_name,
    COMMENTS.c.author_url,
    COMMENTS.c.created_at,
    COMMENTS.c.text,
).order_by(COMMENTS.c.created_at, COMMENTS.c.id)
_OF_POST = _SHOWN.where(COMMENTS.c.post_id == bindparam("owner"))
_OF_PAGE = _SHOWN.where(COMMENTS.c.page_id == bindparam("owner"))


@dataclass(frozen=True, slots=True)
class ShownComment:
    author: str
    url: str  # http(s) or ""
    published: tuple[str, str]  # as on a card
    paragraphs: tuple[str, ...]
    depth: int  # 0 for a comment on the post, 1 for a reply ...


def post_comments(post_id: int) -> list[ShownComment]:
    """Return a post's comments, oldest first, each reply right after what it answers."""
    return _threaded(db.session.execute(_OF_POST, {"owner": post_id}).all())


def page_comments(page_id: int) -> list[ShownComment]:
    """Return a page's comments, oldest first, each reply right after what it answers."""
    return _threaded(db.session.execute(_OF_PAGE, {"owner": page_id}).all())


def _threaded(rows) -> list[ShownComment]:
    if not rows:
        return []
    zone = load_settings().zone
    present = {row.wp_id for row in rows}
    replies: dict[int, list] = {}
    for row in rows:
        # A reply to a comment that was not imported (held, spam) stands on its own.
        parent = row.parent_wp_id if row.parent_wp_id in present else 0
        replies.setdefault(parent, []).append(row)
    shown: list[ShownComment] = []
    seen: set[int] = set()
    stack = [(row, 0) for row in reversed(replies.get(0, []))]
    while stack:
        row, depth = stack.pop()
        if row.wp_id in seen:
            continue
        seen.add(row.wp_id)
        shown.append(_shown(row, depth, zone))
        stack.extend((reply, depth + 1) for reply in reversed(replies.get(row.wp_id, [])))
    # Replies that answer each other in a loop (a damaged file) reach no top: shown on their own.
    shown.extend(_shown(row, 0, zone) for row in rows if row.wp_id not in seen)
    return shown


def author_url(url: str) -> str:
    """Return the commenter's URL if it is a plain http(s) address, else "" (no link)."""
    url = url.strip()
    if len(url) > URL_LENGTH or _CONTROL.search(url) or any(c.isspace() for c in url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme.lower() in ("http", "https") and parts.hostname else ""


def _shown(row, depth: int, zone) -> ShownComment:
    return ShownComment(
        author=row.author_name,
        url=author_url(row.author_url),  # checked again: a restored backup is not an import
        published=local_dates(row.created_at, zone),
        paragraphs=tuple(row.text.split("\n\n")),
        depth=min(depth, MAX_DEPTH),
    )
