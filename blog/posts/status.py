"""A post's status, and the one rule for who may read it: public, scheduled.

A post is stored as a draft, published or in the trash. A published post whose time has not
come is scheduled: decided when it is read, so that no background job is needed. Each rule is
written once, with operators that build SQL from columns and a bool from plain values: the
ORM form (Post.status), the Core form of the prebuilt statements (POSTS.c.status, with the
time as a bind parameter) and the Python form (a row already read) are the same expression.
This module imports no models, so that blog.models can use it.
"""

from enum import StrEnum


class Status(StrEnum):
    """What is stored in posts.status. A StrEnum: it compares equal to the stored text."""

    DRAFT = "draft"
    PUBLISHED = "published"
    TRASH = "trash"


# The four states the editor sees: the stored ones, and scheduled between draft and published.
SHOWN_STATES = ("draft", "scheduled", "published", "trash")


def public(status, published_at, now):
    """Published and due. Columns give SQL (NULL dates are never public); values give a bool."""
    if published_at is None:  # a plain value; a column is never None
        return False
    return (status == Status.PUBLISHED) & (published_at <= now)


def scheduled(status, published_at, now):
    """Published, and due later: readers see it when its time comes."""
    if published_at is None:
        return False
    return (status == Status.PUBLISHED) & (published_at > now)


def shown_state(status: str, published_at, now) -> str:
    """Return which of SHOWN_STATES a post with these values is in."""
    return "scheduled" if scheduled(status, published_at, now) else str(status)
