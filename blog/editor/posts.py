"""The posts list and what its rows do: feature, trash, restore, delete for good.

The posts blueprint is made here; the form, its autosave, the preview and the revisions
add their views to it from modules of their own (blog/editor/__init__.py imports them)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from blog.auth.views import safe_next
from blog.editor.forms import EmptyForm
from blog.extensions import db
from blog.models import Category, FeaturedPost, Post, utcnow
from blog.posts import editing, featured
from blog.posts.listings import CATEGORY_ORDER, is_public, is_scheduled
from blog.posts.status import Status
from blog.urls import small_int

bp = Blueprint("posts", __name__)


def post_or_404(post_id: int) -> Post:
    stmt = (
        select(Post)
        .where(Post.id == post_id)
        .options(
            joinedload(Post.category),
            joinedload(Post.author),
            selectinload(Post.tags),
            joinedload(Post.image),
        )
    )
    return db.one_or_404(stmt, description="There is no post with that number.")


@bp.get("/")
def dashboard():
    """List every post, newest first, filtered by status, category and title."""
    status = request.args.get("status", "")
    category_id = request.args.get("category", 0, type=small_int)
    query = request.args.get("q", "").strip()[:200]
    only_featured = request.args.get("featured") == "1"
    stmt = select(Post).options(joinedload(Post.category))
    now = utcnow()
    if status == Status.DRAFT:
        stmt = stmt.where(Post.status == Status.DRAFT)
    elif status == "scheduled":
        stmt = stmt.where(is_scheduled(now))
    elif status == Status.PUBLISHED:
        stmt = stmt.where(is_public(now))
    elif status == Status.TRASH:
        stmt = stmt.where(Post.status == Status.TRASH)
    else:
        status = ""
        stmt = stmt.where(Post.status != Status.TRASH)
    if category_id:
        stmt = stmt.where(Post.category_id == category_id)
    if query:
        stmt = stmt.where(Post.title.icontains(query, autoescape=True))
    if only_featured:
        # In the order the home page shows them, where they can be moved up and down.
        stmt = stmt.join(FeaturedPost, FeaturedPost.post_id == Post.id).order_by(
            FeaturedPost.position, FeaturedPost.id
        )
    else:
        stmt = stmt.order_by(Post.updated_at.desc(), Post.id.desc())
    page = db.paginate(
        stmt, page=request.args.get("page", 1, type=small_int), per_page=20, error_out=False
    )
    return render_template(
        "editor/dashboard.html",
        page=page,
        counts=editing.status_counts(now),
        status=status,
        category_id=category_id,
        query=query,
        only_featured=only_featured,
        featured=featured.featured_positions(),
        form=EmptyForm(),
        now=now,
        categories=db.session.scalars(select(Category).order_by(*CATEGORY_ORDER)).all(),
    )


@bp.route("/posts/<int:post_id>/trash", methods=["GET", "POST"])
def trash(post_id: int):
    """Ask, then move a post to the trash, from where it can be restored."""
    post = post_or_404(post_id)
    form = EmptyForm()
    if form.validate_on_submit():
        editing.move_to_trash(post)
        db.session.commit()
        flash(f"“{post.title}” moved to the trash.")
        return redirect(url_for(".dashboard"))
    return render_template("editor/confirm_trash.html", post=post, form=form)


def _back_or(fallback: str) -> str:
    """Return the page a trash-list action came from (its next), else fallback."""
    back = request.values.get("next")
    return safe_next(back) if back else fallback


FEATURE_ACTIONS = {
    "feature": "“{}” is featured on the home page.",
    "unfeature": "“{}” is no longer featured.",
    "up": "“{}” moved up.",
    "down": "“{}” moved down.",
}


@bp.post("/posts/<int:post_id>/featured")
def feature(post_id: int):
    """Pin a post to the home page, unpin it, or move it up or down among the pinned ones."""
    post = post_or_404(post_id)
    action = request.form.get("change", "")
    if action not in FEATURE_ACTIONS:
        abort(400, description="Unknown action.")
    if EmptyForm().validate_on_submit():
        if action == "feature":
            featured.feature(post)
        elif action == "unfeature":
            featured.unfeature(post)
        else:
            featured.move_featured(post, -1 if action == "up" else 1)
        db.session.commit()
        flash(FEATURE_ACTIONS[action].format(post.title))
    return redirect(_back_or(url_for(".dashboard", featured=1)))


@bp.post("/posts/<int:post_id>/untrash")
def untrash(post_id: int):
    """Bring a post back from the trash as a draft."""
    post = post_or_404(post_id)
    if post.status == Status.TRASH and EmptyForm().validate_on_submit():
        editing.restore_from_trash(post)
        db.session.commit()
        flash(f"“{post.title}” restored as a draft.")
    return redirect(_back_or(url_for(".edit", post_id=post.id)))


@bp.route("/posts/<int:post_id>/delete", methods=["GET", "POST"])
def delete(post_id: int):
    """Ask, then delete a trashed post for good, with its revisions."""
    post = post_or_404(post_id)
    if post.status != Status.TRASH:
        abort(409, description="Only a post in the trash can be deleted for good.")
    form = EmptyForm()
    if form.validate_on_submit():
        editing.delete_for_good(post)
        db.session.commit()
        flash("Post deleted for good.")
        return redirect(_back_or(url_for(".dashboard", status="trash")))
    back = _back_or(url_for(".edit", post_id=post.id))
    return render_template("editor/confirm_delete.html", post=post, form=form, back=back)


@bp.route("/trash/empty", methods=["GET", "POST"])
def empty_trash():
    """Ask, then delete every post in the trash for good, all at once."""
    form = EmptyForm()
    count = editing.status_counts()[Status.TRASH]
    # The count the editor was shown: a trash that changed since is shown again, not emptied.
    shown = request.form.get("count", type=int)
    if form.validate_on_submit() and shown == count:
        deleted = editing.empty_trash()
        db.session.commit()
        flash(f"{deleted} post{'' if deleted == 1 else 's'} deleted for good.")
        return redirect(url_for(".dashboard", status="trash"))
    changed = request.method == "POST" and not form.errors and shown != count
    return render_template(
        "editor/confirm_empty_trash.html",
        form=form,
        count=count,
        titles=editing.trashed_titles(5),
        changed=changed,
    ), (409 if changed else 200)
