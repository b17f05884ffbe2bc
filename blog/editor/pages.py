"""Pages: the list, the page form, preview, revisions and the trash."""

import difflib

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import aliased, joinedload
from wtforms import SelectChoice

from blog import errors, failures, pages
from blog.editor import featured_image, reauth
from blog.editor.forms import EmptyForm, PageForm
from blog.extensions import db
from blog.models import Media, Page, PageRevision
from blog.posts.status import Status
from blog.settings import load_settings

bp = Blueprint("pages", __name__)

# The page form's endpoints: an expired token shows the text as sent (expired_form).
KEEPS_TEXT = {"editor.pages.new", "editor.pages.edit"}


def _page_or_404(page_id: int) -> Page:
    stmt = select(Page).where(Page.id == page_id).options(joinedload(Page.image))
    return db.one_or_404(stmt, description="There is no page with that number.")


@bp.get("/pages/")
def index():
    """List every page by title, with its parent, filtered by status."""
    status = request.args.get("status", "")
    parent = aliased(Page)
    stmt = select(Page, parent.title).outerjoin(parent, parent.id == Page.parent_id)
    if status in pages.STATUSES:
        stmt = stmt.where(Page.status == status)
    else:
        status = ""
        stmt = stmt.where(Page.status != Status.TRASH)
    rows = db.session.execute(stmt.order_by(func.lower(Page.title), Page.id)).all()
    counts = dict(db.session.execute(select(Page.status, func.count()).group_by(Page.status)).all())
    return render_template(
        "editor/pages.html",
        rows=rows,
        status=status,
        counts={s: counts.get(s, 0) for s in pages.STATUSES},
        public=pages.public_pages(),
    )


def _form_for(page: Page | None) -> PageForm:
    if page is None or request.method == "POST":
        form = PageForm()
    else:
        form = PageForm(
            title=page.title,
            slug=page.slug,
            parent=page.parent_id or 0,
            body_format=page.body_format,
            body=page.body_source,
            status="publish" if page.status == Status.PUBLISHED else "draft",
            image_id=page.image_id or 0,
            image_alt=page.image_alt,
            seo_title=page.seo_title,
            seo_description=page.seo_description,
            version=str(page.version),
        )
    _fill_choices(form, page)
    form.typographic = load_settings().typographic_quotes
    return form


def _fill_choices(form: PageForm, page: Page | None) -> None:
    # Someone signed out sees the text they typed, never the site's page or file names.
    signed_in = current_user.is_authenticated
    form.parent.choices = [SelectChoice(0, "None: a top-level page")] + [
        SelectChoice(id_, title if signed_in else f"Page {id_}")
        for id_, title in pages.parent_choices(page)
    ]
    form.image_id.choices = featured_image.library_choices(page.image_id if page else None)


def _input(form: PageForm, image_id: int | None = None) -> pages.PageInput:
    return pages.PageInput(
        title=form.title.data or "",
        body=form.body.data or "",
        body_format=form.body_format.data,
        slug=form.slug.data or "",
        parent_id=form.parent.data or None,
        status=form.status.data,
        image_id=image_id if image_id is not None else form.image_id.data or None,
        image_alt=form.image_alt.data or "",
        seo_title=form.seo_title.data or "",
        seo_description=form.seo_description.data or "",
    )


def _render(form: PageForm, page: Page | None, message: str = "", status: int = 200):
    signed_out = not current_user.is_authenticated
    return render_template(
        "editor/page_form.html",
        form=form,
        # Someone signed out sees their own typed text, never what the page holds.
        page=None if signed_out else page,
        page_id=page.id if page else None,
        signed_out=signed_out,
        message=message,
        error=status >= 400,
        public_pages=pages.public_pages(),
    ), status


def _page_form(page: Page | None):
    form = _form_for(page)
    if request.method == "GET":
        return _render(form, page)
    if refused := reauth.refusal():
        # Nothing is stored for someone not signed in, not even an image.
        featured_image.file_not_kept(form)
        return _render(form, page, refused, 401)
    valid = form.validate()
    data = _input(form)
    if featured_image.needs_alt(form):
        valid = False
    if problem := pages.slug_problem(pages.wanted_slug(data, page), page):
        form.slug.errors.append(problem)
        valid = False
    if data.parent_id and pages.has_children(page):
        form.parent.errors.append(
            "This page has pages under it: it stays at the top level (two levels at most)."
        )
        valid = False
    if valid and page is not None and int(form.version.data) != page.version:
        message = (
            "The page was changed elsewhere since this form was opened, so nothing was saved. "
            "Your text is kept below; the saved version is in Revisions."
        )
        form.version.data = str(page.version)
        featured_image.keep_upload(form, lambda: _fill_choices(form, page))
        return _render(form, page, message, 409)
    if not valid:
        featured_image.keep_upload(form, lambda: _fill_choices(form, page))
        return _render(form, page, "Please correct the fields marked below.", 422)
    image_id = featured_image.chosen_image(form)
    if form.image.errors:
        return _render(form, page, "The image was not saved; see below.", 422)
    was_public = page is not None and page.status == Status.PUBLISHED
    saved = pages.save_page(page, _input(form, image_id), typographic=form.typographic)
    db.session.commit()
    if saved.status == Status.TRASH:
        flash("Saved. The page is still in the trash: restore it to make it a draft again.")
    elif saved.status == Status.DRAFT:
        flash("Draft saved.")
    else:
        flash("Page updated." if was_public else "Page published.")
    return redirect(url_for(".edit", page_id=saved.id))


@errors.keeps_form("editor.pages.new", "editor.pages.edit", "editor.pages.preview")
def _form_after_failure(failure: failures.Failure) -> str:
    """Show the page form as it was sent, saying why nothing was saved."""
    form = PageForm()  # as typed, never validated: the editor sees what they sent
    featured_image.file_not_kept(form)
    page_id = (request.view_args or {}).get("page_id")
    message = f"{failure.reason} {failures.TEXT_KEPT}"
    if failure.database_ok:
        page = db.session.get(Page, page_id) if page_id else None
        _fill_choices(form, page)
        return _render(form, page, message, 503)[0]
    # Neither the page nor the lists can be read: only what was chosen in them.
    unlisted = "(as chosen; the list cannot be shown now)"
    for field in (form.parent, form.image_id):
        field.choices = [SelectChoice(0, "(none chosen)")]
        if field.data:
            field.choices.append(SelectChoice(field.data, unlisted))
    html = render_template(
        "editor/page_form.html",
        form=form,
        page=None,
        page_id=page_id,
        signed_out=False,
        message=message,
        error=True,
        public_pages={},
    )
    return html


def expired_form():
    """Show the page form as it was sent, when its token had expired: nothing was saved.

    None for a page that does not exist: the caller refuses as for any other request.
    """
    page_id = (request.view_args or {}).get("page_id")
    page = db.session.scalar(select(Page).where(Page.id == page_id)) if page_id else None
    if page_id and page is None:
        return None  # no such page: the plain refusal
    return _render(_form_for(page), page, reauth.expired_message(), 400)


@bp.route("/pages/new", methods=["GET", "POST"])
def new():
    """Write a new page."""
    return _page_form(None)


@bp.route("/pages/<int:page_id>", methods=["GET", "POST"])
def edit(page_id: int):
    """Edit a page; saving keeps the previous version as a revision."""
    if request.method == "POST":
        db.session.execute(select(Page.id).where(Page.id == page_id).with_for_update())
    return _page_form(_page_or_404(page_id))


@bp.post("/pages/preview")
def preview():
    """Show the form's unsaved page exactly as readers would see it."""
    form = _form_for(None)
    form.validate()
    if form.body.errors:
        abort(422, description=" ".join(form.body.errors))
    data = _input(form)
    page = Page(title=data.title or "Untitled", slug="preview", status=Status.DRAFT, version=0)
    with db.session.no_autoflush:
        pages.fill_page(page, data, typographic=form.typographic)
        page.image = db.session.get(Media, data.image_id) if data.image_id else None
    # Never added to the session: the preview saves nothing.
    return render_template("public/page.html", page=page, post=None, preview=True)


@bp.get("/pages/<int:page_id>/preview")
def preview_saved(page_id: int):
    """Show a saved page (draft or published) as readers would see it."""
    return render_template("public/page.html", page=_page_or_404(page_id), post=None, preview=True)


@bp.get("/pages/<int:page_id>/revisions")
def revisions(page_id: int):
    """List the earlier versions of a page, each with what changed since."""
    page = _page_or_404(page_id)
    items = db.session.scalars(
        select(PageRevision).where(PageRevision.page_id == page.id).order_by(PageRevision.id.desc())
    ).all()
    diffs = {
        item.id: list(
            difflib.unified_diff(
                [f"# {item.title}", ""] + item.body_source.splitlines(),
                [f"# {page.title}", ""] + page.body_source.splitlines(),
                f"version {item.version}",
                "current version",
                lineterm="",
            )
        )
        for item in items[:20]
    }
    return render_template(
        "editor/page_revisions.html", page=page, revisions=items, diffs=diffs, form=EmptyForm()
    )


@bp.post("/pages/<int:page_id>/revisions/<int:revision_id>/restore")
def restore_revision(page_id: int, revision_id: int):
    """Bring back an earlier version; the current text is kept as a revision."""
    page = _page_or_404(page_id)
    old = db.one_or_404(
        select(PageRevision).where(PageRevision.id == revision_id, PageRevision.page_id == page.id)
    )
    if EmptyForm().validate_on_submit():
        pages.restore_revision(page, old, typographic=load_settings().typographic_quotes)
        db.session.commit()
        flash(f"Version {old.version} restored. The text it replaced is kept as a revision.")
    return redirect(url_for(".edit", page_id=page.id))


@bp.route("/pages/<int:page_id>/trash", methods=["GET", "POST"])
def trash(page_id: int):
    """Ask, then move a page to the trash, from where it can be restored."""
    page = _page_or_404(page_id)
    form = EmptyForm()
    if form.validate_on_submit():
        pages.move_to_trash(page)
        db.session.commit()
        flash(f"“{page.title}” moved to the trash.")
        return redirect(url_for(".index"))
    return render_template("editor/page_confirm.html", page=page, form=form, action="trash")


@bp.post("/pages/<int:page_id>/untrash")
def untrash(page_id: int):
    """Bring a page back from the trash as a draft."""
    page = _page_or_404(page_id)
    if page.status == Status.TRASH and EmptyForm().validate_on_submit():
        pages.restore_from_trash(page)
        db.session.commit()
        flash(f"“{page.title}” restored as a draft.")
    return redirect(url_for(".edit", page_id=page.id))


@bp.route("/pages/<int:page_id>/delete", methods=["GET", "POST"])
def delete(page_id: int):
    """Ask, then delete a trashed page for good, with its revisions, menu items and comments."""
    page = _page_or_404(page_id)
    if page.status != Status.TRASH:
        abort(409, description="Only a page in the trash can be deleted for good.")
    form = EmptyForm()
    if form.validate_on_submit():
        pages.delete_for_good(page)
        db.session.commit()
        flash("Page deleted for good.")
        return redirect(url_for(".index", status="trash"))
    return render_template("editor/page_confirm.html", page=page, form=form, action="delete")
