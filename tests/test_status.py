"""One rule for who may read a post: its SQL forms (ORM and prebuilt Core) and its Python form
agree on every kind of post, and the editor's lists count and filter by the same states."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from blog.extensions import db
from blog.models import Post, utcnow
from blog.posts import editing, listings
from blog.posts.status import SHOWN_STATES, Status

KINDS = {
    "draft": dict(status=Status.DRAFT, ago=timedelta(hours=1)),
    "published": dict(status=Status.PUBLISHED, ago=timedelta(hours=1)),
    "scheduled": dict(status=Status.PUBLISHED, ago=-timedelta(hours=1)),
    "trash": dict(status=Status.TRASH, ago=timedelta(hours=1)),
    "undated": dict(status=Status.PUBLISHED, ago=timedelta(hours=1)),
}


@pytest.fixture
def every_kind(app, content):
    slugs = {kind: content.post(f"A {kind} post", **fields) for kind, fields in KINDS.items()}
    with app.app_context():
        db.session.execute(
            update(Post).where(Post.slug == slugs["undated"]).values(published_at=None)
        )
        db.session.commit()
    return slugs


def test_the_orm_core_and_python_forms_agree(app, every_kind):
    with app.app_context():
        now = utcnow()
        orm = set(db.session.scalars(select(Post.slug).where(listings.is_public(now))))
        core = set(
            db.session.scalars(select(listings.POSTS.c.slug).where(listings.PUBLIC), {"now": now})
        )
        python = {post.slug for post in db.session.scalars(select(Post)) if post.is_public(now)}
        later = set(db.session.scalars(select(Post.slug).where(listings.is_scheduled(now))))
        shown = {post.slug: post.shown_state(now) for post in db.session.scalars(select(Post))}

    assert orm == core == python == {every_kind["published"]}
    assert later == {every_kind["scheduled"]}
    assert {shown[every_kind[kind]] for kind in ("draft", "scheduled", "trash")} == {
        "draft",
        "scheduled",
        "trash",
    }
    assert shown[every_kind["published"]] == shown[every_kind["undated"]] == "published"


def test_the_editor_counts_and_filters_by_the_same_states(app, signed_in, every_kind):
    with app.app_context():
        counts = editing.status_counts()
    assert list(counts) == list(SHOWN_STATES)
    assert counts == {"draft": 1, "scheduled": 1, "published": 2, "trash": 1}
    for state in ("draft", "scheduled", "trash"):
        page = signed_in.get(f"/editor/?status={state}").get_data(as_text=True)
        assert f"A {state} post" in page
        others = [kind for kind in KINDS if kind != state and f"A {kind} post" in page]
        assert others == []


def test_a_status_compares_equal_to_what_is_stored(app, every_kind):
    with app.app_context():
        stored = db.session.scalar(select(Post.status).where(Post.slug == every_kind["trash"]))
    assert stored == Status.TRASH and str(Status.TRASH) == "trash"
