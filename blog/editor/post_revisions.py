"""A post's earlier versions: listed, compared with the current one, restored."""

import difflib

from flask import flash, redirect, render_template, url_for
from sqlalchemy import select

from blog.editor.forms import EmptyForm
from blog.editor.posts import bp, post_or_404
from blog.extensions import db
from blog.models import Post, Revision
from blog.posts import editing
from blog.settings import load_settings


@bp.get("/posts/<int:post_id>/revisions")
def revisions(post_id: int):
    """List the earlier versions of a post."""
    post = post_or_404(post_id)
    items = db.session.scalars(
        select(Revision).where(Revision.post_id == post.id).order_by(Revision.id.desc())
    ).all()
    return render_template("editor/revisions.html", post=post, revisions=items, form=EmptyForm())


def _revision_or_404(post: Post, revision_id: int) -> Revision:
    return db.one_or_404(
        select(Revision).where(Revision.id == revision_id, Revision.post_id == post.id)
    )


@bp.get("/posts/<int:post_id>/revisions/<int:revision_id>")
def revision(post_id: int, revision_id: int):
    """Show what changed between an earlier version and the current one."""
    post = post_or_404(post_id)
    old = _revision_or_404(post, revision_id)
    diff = list(
        difflib.unified_diff(
            [f"# {old.title}", ""] + old.body_source.splitlines(),
            [f"# {post.title}", ""] + post.body_source.splitlines(),
            f"version {old.version}",
            "current version",
            lineterm="",
        )
    )
    return render_template(
        "editor/revision.html", post=post, revision=old, diff=diff, form=EmptyForm()
    )


@bp.post("/posts/<int:post_id>/revisions/<int:revision_id>/restore")
def restore_revision(post_id: int, revision_id: int):
    """Bring back an earlier version; the current text is kept as a revision."""
    post = post_or_404(post_id)
    old = _revision_or_404(post, revision_id)
    if EmptyForm().validate_on_submit():
        editing.restore_revision(post, old, load_settings().typographic_quotes)
        db.session.commit()
        flash(f"Version {old.version} restored. The text it replaced is kept as a revision.")
    return redirect(url_for(".edit", post_id=post.id))
