"""Writing: the dashboard, the post form, preview, revisions and the trash."""

import difflib

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice

from blog import errors, failures, media
from blog.auth.views import safe_next
from blog.body_images import body_snippet
from blog.dates import to_local
from blog.editor import featured_image, pages, reauth
from blog.editor.forms import EmptyForm, PostForm
from blog.extensions import db
from blog.models import (
    Autosave,
    Category,
    FeaturedPost,
    Media,
    Post,
    Revision,
    Tag,
    User,
    reading_minutes,
    utcnow,
)
from blog.posts import autosave, editing, featured, post_page
from blog.posts.listings import CATEGORY_ORDER, is_public, is_scheduled
from blog.posts.status import SHOWN_STATES, Status
from blog.render import removed_parts
from blog.settings import load_settings
from blog.slugs import slugify
from blog.urls import small_int

bp = Blueprint("posts", __name__)

STATUSES = SHOWN_STATES


def _post_or_404(post_id: int) -> Post:
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


def _fill_choices(form: PostForm, post: Post | None) -> None:
    form.category.choices = [
        SelectChoice(c.id, c.name)
        for c in db.session.scalars(select(Category).order_by(*CATEGORY_ORDER))
    ]
    # The newest images, and always the post's own, however old.
    recent = select(Media.id).order_by(Media.id.desc()).limit(100)
    keep = Media.id.in_(recent)
    if post is not None and post.image_id:
        keep = keep | (Media.id == post.image_id)
    images = db.session.scalars(select(Media).where(keep).order_by(Media.id.desc()))
    signed_in = current_user.is_authenticated
    form.image_id.choices = [SelectChoice(0, "No image")] + [
        SelectChoice(m.id, m.original_name if signed_in else f"Image {m.id}") for m in images
    ]


def _restoring() -> Autosave | None:
    """Return the autosave the editor asked to restore into the form (?autosave=restore)."""
    if request.method != "GET" or request.args.get("autosave") != "restore":
        return None
    post_id = (request.view_args or {}).get("post_id")
    return autosave.autosave_for(current_user.id, post_id)


def _form_for(post: Post | None) -> PostForm:
    """Return the post form, filled from the request if posted, else from the post."""
    if (kept := _restoring()) is not None:
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
    _fill_choices(form, post)
    form.typographic = load_settings().typographic_quotes
    return form


def _input(form: PostForm, image_id: int | None) -> editing.PostInput:
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


def _render_form(
    form: PostForm, post: Post | None, message: str = "", status: int = 200, failed=False
):
    signed_out = not current_user.is_authenticated
    kept = None
    restored = _restoring()
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
        autosave_time=_autosave_time(kept or restored),
        restored=restored is not None,
        reading_minutes=reading_minutes,
    ), status


def _autosave_time(kept: Autosave | None) -> str:
    """Return when an autosave was made, as the editor's clock says it: "14:05", or dated."""
    if kept is None:
        return ""
    zone = load_settings().zone
    when = to_local(kept.saved_at, zone)
    today = to_local(utcnow(), zone).date()
    return when.strftime("%H:%M" if when.date() == today else "%Y-%m-%d %H:%M")


def _add_body_picture(form: PostForm) -> bool:
    """Store the picture chosen for the body and put its snippet at the end of the body.

    Committed at once, as the media page would, so that the body never names a picture that
    is not stored, whatever happens to the rest of the form. False if it was refused.
    """
    name = getattr(form.body_image.data, "filename", "") or ""
    if not name:
        return True
    alt = (form.body_image_alt.data or "").strip()
    if not alt:
        form.body_image_alt.errors = ["Describe the picture for readers who cannot see it."]
        form.body_image.errors = [
            f"“{media.clean_original_name(name)}” was not kept: describe it, then choose "
            "the file again."
        ]
        return False
    try:
        item = media.save_upload(form.body_image.data)
    except media.UploadError as error:
        if failures.classify(error) is failures.DISK_FULL:
            raise  # not this file's fault: the whole save fails, the text comes back
        form.body_image.errors = [str(error)]
        return False
    caption, credit = form.body_image_caption.data or "", form.body_image_credit.data or ""
    media.describe_media(item, alt, caption, credit)
    db.session.commit()
    snippet = body_snippet(
        url_for("public.media", filename=item.filename),
        form.body_format.data,
        item.alt,
        item.caption,
        item.credit,
    )
    body = (form.body.data or "").rstrip()
    form.body.data = f"{body}\n\n{snippet}\n" if body else f"{snippet}\n"
    form.body_image_alt.data = form.body_image_caption.data = form.body_image_credit.data = ""
    form.body_image.description = (
        f"“{media.clean_original_name(name)}” was stored and put at the end of the body."
    )
    return True


def _post_form(post: Post | None):
    form = _form_for(post)
    if request.method == "GET":
        return _render_form(form, post)
    if refused := reauth.refusal():
        # Nothing is stored for someone not signed in, not even an image.
        featured_image.file_not_kept(form)
        return _render_form(form, post, refused, 401)
    valid = form.validate()
    if featured_image.needs_alt(form):
        valid = False
    if not _add_body_picture(form):
        valid = False
    if other := editing.post_with_slug(form.slug.data or "", post):
        # Only a slug typed here: one made from the title takes a number silently.
        form.slug.errors.append(
            f"“{other.title}”{' (in the trash)' if other.status == 'trash' else ''} "
            f"already has the address “{other.slug}”. Choose another slug."
        )
        valid = False
    if not valid:
        featured_image.keep_upload(form, lambda: _fill_choices(form, post))
        return _render_form(form, post, "Please correct the fields marked below.", 422)
    image_id = featured_image.chosen_image(form)
    if form.image.errors:
        return _render_form(form, post, "The image was not saved; see below.", 422)
    if post is not None and int(form.version.data) != post.version:
        # The conflict page carries the image by its id: an upload is kept for "Save my version".
        db.session.commit()
        form.image_id.data = image_id or 0
        return _conflict(form, post)
    was_public = editing.is_live(post)
    user = db.session.get(User, current_user.id)
    saved = editing.save_post(post, _input(form, image_id), user, load_settings().zone)
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
        _fill_choices(form, post)
        return _render_form(form, post, message, failed=True)[0]
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
    return jsonify(saved_at=_autosave_time(kept), csrf_token=generate_csrf())


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
    return _post_form(_post_or_404(post_id))


@bp.app_errorhandler(CSRFError)
def csrf_error(error):
    """Keep the text of a post or page form whose token expired; refuse any other request."""
    if request.endpoint in ("editor.posts.autosave_form", "editor.media.insert"):
        # The desk's script says so beside Save; the text is still in the form.
        return jsonify(error="expired", csrf_token=generate_csrf()), 400
    if request.endpoint in ("editor.posts.new", "editor.posts.edit"):
        post = _post_or_404(request.view_args["post_id"]) if request.view_args else None
        form = _form_for(post)
        # A request that failed its CSRF check stores nothing, not even an image.
        featured_image.file_not_kept(form)
        return _render_form(form, post, reauth.expired_message(), 400)
    if request.endpoint in pages.KEEPS_TEXT and (kept := pages.expired_form()):
        return kept
    return render_template("errors/error.html", error=error), 400


def _preview_response(post: Post):
    return render_template(
        "public/post.html",
        post=post_page.preview_page(post),
        older=None,
        newer=None,
        related=[],
        preview=True,
    )


@bp.post("/preview")
def preview():
    """Show the form's unsaved post exactly as readers would see it."""
    form = _form_for(None)
    form.validate()
    post_id = request.form.get("post_id", 0, type=small_int)
    original = _post_or_404(post_id) if post_id else None
    if form.body.errors:
        # A body too complex to render cannot be shown: the form, its text and the reason.
        _fill_choices(form, original)
        return _render_form(form, original, "Nothing to preview: see the body's error.", 422)
    data = _input(form, form.image_id.data or None)
    post = Post(
        id=original.id if original else None,
        title=data.title or "Untitled",
        slug=original.slug if original else "preview",
        status=Status.DRAFT,
        version=0,
        published_at=(original.published_at if original else None) or utcnow(),
        updated_at=utcnow(),
    )
    with db.session.no_autoflush:
        editing.fill_post(post, data, load_settings().zone, _preview_tags(data.tags))
        post.author = db.session.get(User, current_user.id)
        post.category = db.session.get(Category, data.category_id) if data.category_id else None
        post.image = db.session.get(Media, data.image_id) if data.image_id else None
    if post.category is None:
        post.category = Category(name="Uncategorized", slug="uncategorized")
    # The post was never added to the session: the preview saves nothing.
    return _preview_response(post)


def _preview_tags(text: str) -> list[Tag]:
    """Return unsaved tags for a preview: nothing may be created by looking."""
    return [Tag(name=name, slug=slugify(name)) for name in editing.parse_tag_names(text)]


@bp.get("/posts/<int:post_id>/preview")
def preview_saved(post_id: int):
    """Show a saved post (draft, scheduled or published) as readers would see it."""
    return _preview_response(_post_or_404(post_id))


@bp.get("/posts/<int:post_id>/revisions")
def revisions(post_id: int):
    """List the earlier versions of a post."""
    post = _post_or_404(post_id)
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
    post = _post_or_404(post_id)
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
    post = _post_or_404(post_id)
    old = _revision_or_404(post, revision_id)
    if EmptyForm().validate_on_submit():
        editing.restore_revision(post, old, load_settings().typographic_quotes)
        db.session.commit()
        flash(f"Version {old.version} restored. The text it replaced is kept as a revision.")
    return redirect(url_for(".edit", post_id=post.id))


@bp.route("/posts/<int:post_id>/trash", methods=["GET", "POST"])
def trash(post_id: int):
    """Ask, then move a post to the trash, from where it can be restored."""
    post = _post_or_404(post_id)
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
    post = _post_or_404(post_id)
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
    post = _post_or_404(post_id)
    if post.status == Status.TRASH and EmptyForm().validate_on_submit():
        editing.restore_from_trash(post)
        db.session.commit()
        flash(f"“{post.title}” restored as a draft.")
    return redirect(_back_or(url_for(".edit", post_id=post.id)))


@bp.route("/posts/<int:post_id>/delete", methods=["GET", "POST"])
def delete(post_id: int):
    """Ask, then delete a trashed post for good, with its revisions."""
    post = _post_or_404(post_id)
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
