"""The editor's desk: everything under /editor/ needs the signed-in editor."""

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user

from blog.editor import media as media_views
from blog.editor import (
    menus,
    pages,
    post_autosave,
    post_form,
    post_preview,
    post_revisions,
    posts,
    site,
    taxonomy,
)

# The posts blueprint's views, in modules named for what they hold: each adds its routes to
# posts.bp when imported, which must happen before the blueprint is registered.
POST_VIEWS = (posts, post_form, post_autosave, post_preview, post_revisions)

bp = Blueprint("editor", __name__, url_prefix="/editor")
bp.register_blueprint(posts.bp)
bp.register_blueprint(media_views.bp)
bp.register_blueprint(pages.bp)
bp.register_blueprint(menus.bp)
bp.register_blueprint(taxonomy.bp)
bp.register_blueprint(site.bp)

# POSTs whose view keeps the editor's text when the session has ended, instead of failing.
KEEPS_TEXT = {"editor.posts.new", "editor.posts.edit"} | pages.KEEPS_TEXT


@bp.before_request
def require_editor():
    if current_user.is_authenticated or (
        request.method == "POST" and request.endpoint in KEEPS_TEXT
    ):
        return None
    if request.method in ("GET", "HEAD"):
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    abort(401)


@bp.after_request
def never_cache(response):
    response.headers["Cache-Control"] = "no-store"
    return response
