"""Featured posts: the ones the editor pinned, in the editor's order, the first one leading.

The home page (and any redesign of it) asks featured_cards() for the pinned public posts in
order and home_items() for its first page: those, then the newest posts that are not pinned.
A category's first page leads the same way with the pinned posts of that category.
"""

from sqlalchemy import func, select

from blog.cache import memo_by_stamp
from blog.extensions import db
from blog.models import FeaturedPost, Post, utcnow
from blog.paths import script_root
from blog.posts.listings import (
    CARD_COLUMNS,
    POSTS,
    PUBLIC,
    Card,
    cards,
    category_links,
    next_scheduled_time,
)

FEATURED = FeaturedPost.__table__
ORDER = (FEATURED.c.position, FEATURED.c.id)
_PUBLIC_FEATURED = (
    select(*CARD_COLUMNS)
    .join(FEATURED, FEATURED.c.post_id == POSTS.c.id)
    .where(PUBLIC)
    .order_by(*ORDER)
)


def featured_cards() -> list[Card]:
    """Return the cards of the pinned posts readers can see, the lead first.

    One query, kept until the content changes or the next scheduled post falls due (a pinned
    post scheduled for later joins the lead when its time comes).
    """

    def load():
        return cards(db.session.execute(_PUBLIC_FEATURED, {"now": utcnow()}))

    return memo_by_stamp(f"featured_cards:{script_root()}:{next_scheduled_time()}", load)


def home_items(newest: list[Card]) -> list[Card]:
    """Return the first page of the home page: the pinned posts, then the newest, once each."""
    return _pinned_first(featured_cards(), newest)


def category_items(newest: list[Card], family: list[int]) -> list[Card]:
    """Return the first page of a category: its pinned posts in their order, then the newest.

    family: the ids of the category and its subcategories (category_tree.family).
    """
    links = category_links()
    slugs = {links[id_].slug for id_ in family if id_ in links}
    pinned = [card for card in featured_cards() if card.category.slug in slugs]
    return _pinned_first(pinned, newest)


def _pinned_first(pinned: list[Card], newest: list[Card]) -> list[Card]:
    if not pinned:
        return newest
    shown = {card.id for card in pinned}
    return pinned + [card for card in newest if card.id not in shown]


def featured_positions() -> dict[int, int]:
    """Return post id -> place (1 for the lead) of every pinned post, public or not."""
    ids = db.session.scalars(select(FEATURED.c.post_id).order_by(*ORDER))
    return {post_id: place for place, post_id in enumerate(ids, 1)}


def feature(post: Post) -> None:
    """Pin a post after the ones pinned already; a pinned post stays where it is."""
    if db.session.scalar(select(FeaturedPost.id).where(FeaturedPost.post_id == post.id)):
        return
    last = db.session.scalar(select(func.max(FeaturedPost.position))) or 0
    db.session.add(FeaturedPost(post_id=post.id, position=last + 1))


def unfeature(post: Post) -> None:
    """Unpin a post; the others keep their order."""
    found = db.session.scalar(select(FeaturedPost).where(FeaturedPost.post_id == post.id))
    if found is not None:
        db.session.delete(found)


def move_featured(post: Post, step: int) -> bool:
    """Move a pinned post one place up (step -1) or down (step 1); False if it cannot move."""
    pins = list(db.session.scalars(select(FeaturedPost).order_by(*ORDER)))
    here = next((i for i, pin in enumerate(pins) if pin.post_id == post.id), None)
    there = None if here is None else here + step
    if there is None or not 0 <= there < len(pins):
        return False
    pins[here], pins[there] = pins[there], pins[here]
    # Numbered again from 1: positions that were equal or had gaps become a plain order.
    for position, pin in enumerate(pins, 1):
        pin.position = position
    return True
