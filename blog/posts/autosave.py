"""Autosaves: the post form as it was being written, kept apart from the post it edits.

The desk's script sends the form every few seconds after a change; each editor has one
autosave per post (and one for a post not saved yet). Saving the post discards it. Nothing
here changes a post: restoring an autosave only fills the form, which the editor then saves.
"""

import json

from sqlalchemy import delete, select

from blog.extensions import db
from blog.models import Autosave, utcnow

# The post form's fields an autosave keeps besides title, format and body; as typed.
KEPT_FIELDS = (
    "slug",
    "excerpt",
    "category",
    "tags",
    "image_id",
    "image_alt",
    "status",
    "publish_at",
    "seo_title",
    "seo_description",
)
# An autosave is what was typed, not checked: bounded so that it cannot fill the database.
MAX_FIELD = 10_000
MAX_BODY = 2 * 1024 * 1024


def _of(user_id: int, post_id: int | None):
    post = Autosave.post_id.is_(None) if post_id is None else Autosave.post_id == post_id
    return (Autosave.user_id == user_id) & post


def autosave_for(user_id: int, post_id: int | None) -> Autosave | None:
    """Return the editor's autosave of this post (None: a post not saved yet), if any."""
    return db.session.scalar(
        select(Autosave).where(_of(user_id, post_id)).order_by(Autosave.id.desc()).limit(1)
    )


def store_autosave(
    user_id: int, post_id: int | None, base_version: int, typed: dict[str, str]
) -> Autosave:
    """Keep the form as typed as the editor's autosave of this post, replacing the last one."""
    autosave = autosave_for(user_id, post_id)
    if autosave is None:
        autosave = Autosave(user_id=user_id, post_id=post_id)
        db.session.add(autosave)
    autosave.base_version = base_version
    autosave.saved_at = utcnow()
    autosave.title = (typed.get("title") or "")[:MAX_FIELD]
    fmt = typed.get("body_format")
    autosave.body_format = fmt if fmt in ("markdown", "html") else "markdown"
    autosave.body_source = (typed.get("body") or "")[:MAX_BODY]
    autosave.fields = json.dumps(
        {name: (typed.get(name) or "")[:MAX_FIELD] for name in KEPT_FIELDS}
    )
    return autosave


def discard_autosave(user_id: int, post_id: int | None) -> None:
    """Forget the editor's autosave of this post: it was saved, or the editor said so."""
    db.session.execute(delete(Autosave).where(_of(user_id, post_id)))


def form_data(autosave: Autosave) -> dict[str, str]:
    """Return the autosave as the form's fields, ready to fill the post form with."""
    fields = json.loads(autosave.fields or "{}")
    data = {name: str(fields.get(name, "")) for name in KEPT_FIELDS}
    data.update(
        title=autosave.title,
        body_format=autosave.body_format,
        body=autosave.body_source,
        version=str(autosave.base_version),
    )
    return data
