"""Writing a post: the form, saving it (with its conflicts and failures), expired tokens."""

import difflib

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice

from blog import errors, failures
from blog.dates import to_local
from blog.editor import featured_image, pages, reauth
from blog.editor.body_picture import add_body_picture
from blog.editor.forms import PostForm
from blog.editor.post_autosave import autosave_time, restoring
from blog.editor.posts import bp, post_or_404
from blog.extensions import db
from blog.models import Category, Post, User, reading_minutes
from blog.posts import autosave, editing
from blog.posts.listings import CATEGORY_ORDER
from blog.posts.status import Status
from blog.render import removed_parts
from blog.settings import load_settings
from blog.urls import small_int


def fill_choices(form: PostForm, post: Post | None) -> None:
    form.category.choices = [
        SelectChoice(c.id, c.name)
        for c in db.session.scalars(select(Category).order_by(*CATEGORY_ORDER))
    ]
    form.image_id.choices = featured_image.library_choices(post.image_id if post else None)


def form_for(post: Post | None) -> PostForm:
    """Return the post form, filled from the request if posted, else from the post."""
    if (kept := restoring()) is not None:
        form = PostForm(formdata=MultiDict(autosave.form_data(kept)))
    elif request.method == "POST":
        form = PostForm()
    elif post is None:
        # A new post starts in the category the editor last wrote in, as WordPress does.
        form = PostForm(category=editing.last_used_category())
    else:
        zone = load_settings().zone
        scheduled = post.is_scheduled()
        # Every field by name: with obj=post, WTForms would prefer the post's own attributes
        # (its Tag objects, its raw excerpt) over the values given here.
        form = PostForm(
            title=post.title,
            slug=post.slug,
            body_format=post.body_format,
            image_alt=post.image_alt,
            seo_title=post.seo_title,
            seo_description=post.seo_description,
            body=post.body_source,
            excerpt=post.excerpt if post.custom_excerpt else "",
            category=post.category_id,
            tags=", ".join(t.name for t in post.tags),
            image_id=post.image_id or 0,
            status="schedule"
            if scheduled
            else ("publish" if post.status == Status.PUBLISHED else "draft"),
            publish_at=to_local(post.published_at, zone).replace(tzinfo=None)
            if scheduled
            else None,
            version=str(post.version),
        )
    fill_choices(form, post)
    form.typographic = load_settings().typographic_quotes
    return form


def form_input(form: PostForm, image_id: int | None) -> editing.PostInput:
    return editing.PostInput(
        title=form.title.data,
        body=form.body.data or "",
        body_format=form.body_format.data,
        slug=form.slug.data or "",
        excerpt=form.excerpt.data or "",
        category_id=form.category.data,
        tags=form.tags.data or "",
        image_id=image_id,
        image_alt=form.image_alt.data or "",
        status=form.status.data,
        publish_at=form.publish_at.data,
        seo_title=form.seo_title.data or "",
        seo_description=form.seo_description.data or "",
        typographic=load_settings().typographic_quotes,
    )


def render_form(
    form: PostForm, post: Post | None, message: str = "", status: int = 200, failed=False
):
    signed_out = not current_user.is_authenticated
    kept = None
    restored = restoring()
    if request.method == "GET" and restored is None:
        kept = autosave.autosave_for(current_user.id, post.id if post else None)
    return render_template(
        "editor/post_form.html",
        form=form,
        # Someone signed out sees their own typed text, never what the post holds.
        post=None if signed_out else post,
        post_id=post.id if post else None,
        message=message,
        signed_out=signed_out,
        failed=failed,
        zone=load_settings().timezone,
        autosave=kept,
        autosave_time=autosave_time(kept or restored),
        restored=restored is not None,
        reading_minutes=reading_minutes,
    ), status


def _post_form(post: Post | None):
    form = form_for(post)
    if request.method == "GET":
        return render_form(form, post)
    if refused := reauth.refusal():
        # Nothing is stored for someone not signed in, not even an image.
        featured_image.file_not_kept(form)
        return render_form(form, post, refused, 401)
    valid = form.validate()
    if featured_image.needs_alt(form):
        valid = False
    if not add_body_picture(form):
        valid = False
    if other := editing.post_with_slug(form.slug.data or "", post):
        # Only a slug typed here: one made from the title takes a number silently.
        form.slug.errors.append(
            f"“{other.title}”{' (in the trash)' if other.status == 'trash' else ''} "
            f"already has the address “{other.slug}”. Choose another slug."
        )
        valid = False
    if not valid:
        featured_image.keep_upload(form, lambda: fill_choices(form, post))
        return render_form(form, post, "Please correct the fields marked below.", 422)
    image_id = featured_image.chosen_image(form)
    if form.image.errors:
        return render_form(form, post, "The image was not saved; see below.", 422)
    if post is not None and int(form.version.data) != post.version:
        # The conflict page carries the image by its id: an upload is kept for "Save my version".
        db.session.commit()
        form.image_id.data = image_id or 0
        return _conflict(form, post)
    was_public = editing.is_live(post)
    user = db.session.get(User, current_user.id)
    saved = editing.save_post(post, form_input(form, image_id), user, load_settings().zone)
    # What was autosaved is now saved: it is offered no more (a new post's, and this one's).
    autosave.discard_autosave(user.id, post.id if post else None)
    db.session.commit()
    flash(_saved_message(saved, was_public))
    if removed := removed_parts(saved.body_source, saved.body_format, form.typographic):
        # The text is saved as typed; readers get it without these, and the editor knows.
        flash("Left out of what readers see: " + "; ".join(removed) + ".", "removed")
    return redirect(url_for(".edit", post_id=saved.id))


def _typed_choices(form: PostForm) -> None:
    """Offer only what was chosen in the lists, when the database cannot list the rest."""
    unlisted = "(as chosen; the list cannot be shown now)"
    chosen = form.category.data or 0
    form.category.choices = [SelectChoice(chosen, unlisted if chosen else "(none chosen)")]
    form.image_id.choices = [SelectChoice(0, "No image")]
    if form.image_id.data:
        form.image_id.choices.append(SelectChoice(form.image_id.data, unlisted))


@errors.keeps_form("editor.posts.new", "editor.posts.edit", "editor.posts.preview")
def _form_after_failure(failure: failures.Failure) -> str:
    """Show the post form as it was sent, saying why nothing was saved."""
    form = PostForm()  # as typed, never validated: the editor sees what they sent
    post_id = (request.view_args or {}).get("post_id") or request.form.get(
        "post_id", 0, type=small_int
    )
    featured_image.file_not_kept(form)
    message = f"{failure.reason} {failures.TEXT_KEPT}"
    if failure.database_ok:
        post = db.session.get(Post, post_id) if post_id else None
        fill_choices(form, post)
        return render_form(form, post, message, failed=True)[0]
    # Neither the post, the lists nor the editor's account can be read: the text as sent.
    _typed_choices(form)
    return render_template(
        "editor/post_form.html",
        form=form,
        post=None,
        post_id=post_id or None,
        message=message,
        signed_out=False,
        failed=True,
        zone=current_app.config["TIMEZONE"],
    )


def _saved_message(post: Post, was_public: bool) -> str:
    if post.status == Status.TRASH:
        return "Saved. The post is still in the trash: restore it to make it a draft again."
    if post.status == Status.DRAFT:
        return "Draft saved."
    if post.is_scheduled():
        return "Post scheduled."
    return "Post updated." if was_public else "Post published."


def _conflict(form: PostForm, post: Post):
    """Show both versions when the post changed since this form was opened."""
    form.version.data = str(post.version)
    diff = list(
        difflib.unified_diff(
            post.body_source.splitlines(),
            (form.body.data or "").splitlines(),
            "saved version",
            "your version",
            lineterm="",
        )
    )
    return render_template("editor/conflict.html", form=form, post=post, diff=diff), 409


@bp.route("/posts/new", methods=["GET", "POST"])
def new():
    """Write a new post."""
    return _post_form(None)


@bp.route("/posts/<int:post_id>", methods=["GET", "POST"])
def edit(post_id: int):
    """Edit a post; saving keeps the previous version as a revision."""
    if request.method == "POST":
        # Lock the row before its version is compared, so that two tabs saving at once
        # give one save and one conflict (PostgreSQL; SQLite's BEGIN IMMEDIATE does it there).
        db.session.execute(select(Post.id).where(Post.id == post_id).with_for_update())
    return _post_form(post_or_404(post_id))


@bp.app_errorhandler(CSRFError)
def csrf_error(error):
    """Keep the text of a post or page form whose token expired; refuse any other request."""
    if request.endpoint in ("editor.posts.autosave_form", "editor.media.insert"):
        # The desk's script says so beside Save; the text is still in the form.
        return jsonify(error="expired", csrf_token=generate_csrf()), 400
    if request.endpoint in ("editor.posts.new", "editor.posts.edit"):
        post = post_or_404(request.view_args["post_id"]) if request.view_args else None
        form = form_for(post)
        # A request that failed its CSRF check stores nothing, not even an image.
        featured_image.file_not_kept(form)
        return render_form(form, post, reauth.expired_message(), 400)
    if request.endpoint in pages.KEEPS_TEXT and (kept := pages.expired_form()):
        return kept
    return render_template("errors/error.html", error=error), 400
