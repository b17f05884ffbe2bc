"""The post form's autosave: kept while the editor types, restored or discarded."""

from flask import flash, jsonify, redirect, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from blog.dates import to_local
from blog.editor.forms import EmptyForm
from blog.editor.posts import bp
from blog.extensions import db
from blog.models import Autosave, Post, utcnow
from blog.posts import autosave
from blog.settings import load_settings
from blog.urls import small_int


def restoring() -> Autosave | None:
    """Return the autosave the editor asked to restore into the form (?autosave=restore)."""
    if request.method != "GET" or request.args.get("autosave") != "restore":
        return None
    post_id = (request.view_args or {}).get("post_id")
    return autosave.autosave_for(current_user.id, post_id)


def autosave_time(kept: Autosave | None) -> str:
    """Return when an autosave was made, as the editor's clock says it: "14:05", or dated."""
    if kept is None:
        return ""
    zone = load_settings().zone
    when = to_local(kept.saved_at, zone)
    today = to_local(utcnow(), zone).date()
    return when.strftime("%H:%M" if when.date() == today else "%Y-%m-%d %H:%M")


@bp.post("/posts/autosave")
def autosave_form():
    """Keep the post form as typed as the editor's autosave; the post itself stays as it is."""
    post_id = request.form.get("post_id", 0, type=small_int) or None
    if post_id is not None:
        db.get_or_404(Post, post_id, description="There is no post with that number.")
    base = request.form.get("version", 0, type=small_int) or 0
    kept = autosave.store_autosave(current_user.id, post_id, base, request.form.to_dict())
    db.session.commit()
    # A fresh token with each answer: a desk left open for long still saves on the first try.
    return jsonify(saved_at=autosave_time(kept), csrf_token=generate_csrf())


@bp.post("/posts/autosave/discard")
def discard_autosave():
    """Forget the editor's autosave of a post, and open the post as saved."""
    post_id = request.form.get("post_id", 0, type=small_int) or None
    if EmptyForm().validate_on_submit():
        autosave.discard_autosave(current_user.id, post_id)
        db.session.commit()
        flash("The autosaved version was discarded.")
    if post_id is None:
        return redirect(url_for(".new"))
    return redirect(url_for(".edit", post_id=post_id))
