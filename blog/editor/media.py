"""The media library: upload images, describe them, copy their addresses, delete the unused
ones."""

from typing import NamedTuple

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from blog import errors, failures, media
from blog.body_images import body_snippet
from blog.editor.forms import EmptyForm
from blog.editor.media_forms import ACCEPT, DescribeForm, UploadForm
from blog.extensions import db
from blog.models import AuthorPhoto, Media, User
from blog.urls import small_int

bp = Blueprint("media", __name__, url_prefix="/media")

PER_PAGE = 20


class LibraryRow(NamedTuple):
    item: Media
    uses: int
    size: int | None
    thumbnail: str
    authors: list[str]


def _photo_owners(media_ids) -> dict[int, list[str]]:
    """Return the names of the authors whose photo each of these images is."""
    stmt = (
        select(AuthorPhoto.media_id, User.display_name)
        .join(User, User.id == AuthorPhoto.user_id)
        .where(AuthorPhoto.media_id.in_(list(media_ids)))
        .order_by(User.display_name)
    )
    owners: dict[int, list[str]] = {}
    for media_id, name in db.session.execute(stmt):
        owners.setdefault(media_id, []).append(name)
    return owners


def _render_library(form: UploadForm, message: str = "", refused=(), status: int = 200):
    stmt = select(Media).order_by(Media.created_at.desc(), Media.id.desc())
    page = db.paginate(
        stmt, page=request.args.get("page", 1, type=small_int), per_page=PER_PAGE, error_out=False
    )
    counts = media.usage_counts(item.id for item in page.items)
    owners = _photo_owners(item.id for item in page.items)
    sizes = media.file_sizes(page.items)
    rows = [
        LibraryRow(
            item, counts.get(item.id, 0), size, media.thumbnail_file(item), owners.get(item.id, [])
        )
        for item, size in zip(page.items, sizes, strict=True)
    ]
    return render_template(
        "editor/media.html",
        form=form,
        page=page,
        rows=rows,
        message=message,
        refused=refused,
        accept=ACCEPT,
        max_upload=media.readable_size(current_app.config["MAX_UPLOAD_BYTES"]),
    ), status


def _store(uploads) -> tuple[list[Media], list[tuple[str, str]]]:
    """Save each upload; return the saved images and (name, reason) for the refused ones."""
    saved, refused = [], []
    for upload in uploads:
        try:
            saved.append(media.save_upload(upload))
        except media.UploadError as error:
            if failures.classify(error) is failures.DISK_FULL:
                raise  # not this file's fault: no upload is kept, and the editor is told why
            refused.append((media.clean_original_name(upload.filename), str(error)))
    return saved, refused


@errors.keeps_form("editor.media.index")
def _library_after_failure(failure: failures.Failure) -> str | None:
    """Show the library again, saying why none of the files was kept."""
    if not failure.database_ok:
        return None  # it cannot be listed: the plain page says why
    message = f"{failure.reason} Choose the files again once it is fixed."
    return _render_library(UploadForm(), message)[0]


def _count(n: int) -> str:
    return f"{n} image" if n == 1 else f"{n} images"


@bp.route("/", methods=["GET", "POST"])
def index():
    """List the uploaded images, newest first, with a form to upload more."""
    form = UploadForm()
    if request.method == "GET":
        return _render_library(form)
    if not form.validate():
        return _render_library(form, "Nothing was uploaded; see below.", status=422)
    saved, refused = _store(form.images.data)
    db.session.commit()
    if not refused:
        flash(f"{_count(len(saved))} uploaded.")
        return redirect(url_for(".index"))
    message = f"{_count(len(saved))} uploaded, {_count(len(refused))} refused; see below."
    return _render_library(form, message, refused, 422)


@bp.route("/<int:media_id>/delete", methods=["GET", "POST"])
def delete(media_id: int):
    """Ask, then delete an image no post uses and no author has as photo, with its copies."""
    item = db.get_or_404(Media, media_id, description="There is no image with that number.")
    users = media.posts_using(item)
    authors = _photo_owners([item.id]).get(item.id, [])
    form = EmptyForm()
    if users or authors:
        status = 409 if request.method == "POST" else 200
        return _render_delete(item, users, form, authors), status
    if form.validate_on_submit():
        media.delete_media(item)
        db.session.commit()
        flash(f"“{item.original_name or item.filename}” deleted.")
        return redirect(url_for(".index"))
    return _render_delete(item, [], form)


@bp.route("/<int:media_id>/", methods=["GET", "POST"])
def edit(media_id: int):
    """Change an image's alt text, caption and credit, offered whenever it is inserted."""
    item = db.get_or_404(Media, media_id, description="There is no image with that number.")
    form = DescribeForm(obj=item)
    if form.validate_on_submit():
        media.describe_media(item, form.alt.data, form.caption.data or "", form.credit.data or "")
        db.session.commit()
        flash(f"“{item.original_name or item.filename}” described.")
        return redirect(url_for(".index", page=request.args.get("page", type=small_int)))
    return render_template(
        "editor/media_edit.html",
        item=item,
        form=form,
        posts=media.posts_using(item),
        thumbnail=media.thumbnail_file(item),
    ), (422 if request.method == "POST" else 200)


def _render_delete(item: Media, users: list, form: EmptyForm, authors=()) -> str:
    return render_template(
        "editor/media_delete.html",
        item=item,
        posts=users,
        authors=authors,
        form=form,
        thumbnail=media.thumbnail_file(item),
    )


def _picker_item(item: Media) -> dict:
    return {
        "id": item.id,
        "name": item.original_name or item.filename,
        "alt": item.alt,
        "caption": item.caption,
        "credit": item.credit,
        "width": item.width,
        "height": item.height,
        "thumb": url_for("public.media", filename=media.thumbnail_file(item)),
    }


@bp.get("/library.json")
def library_json():
    """List images for the desk's picker, newest first, found by name, alt text or caption."""
    query = request.args.get("q", "").strip()[:200]
    offset = request.args.get("offset", 0, type=small_int) or 0
    items, more = media.library_page(query, offset=offset)
    return jsonify(items=[_picker_item(item) for item in items], more=more)


@bp.post("/insert")
def insert():
    """Store a picture for a post's body (uploaded, or from the library), return its snippet.

    Its alt text, caption and credit are kept with the image and offered the next time.
    """
    alt = request.form.get("alt", "").strip()
    if not alt:
        return jsonify(error="Describe the picture for readers who cannot see it."), 422
    upload = request.files.get("image")
    if upload is not None and upload.filename:
        try:
            item = media.save_upload(upload)
        except media.UploadError as error:
            return jsonify(error=str(error)), 422
    else:
        media_id = request.form.get("media_id", 0, type=small_int)
        item = db.session.get(Media, media_id) if media_id else None
        if item is None:
            return jsonify(error="That image is no longer in the library."), 404
    caption, credit = request.form.get("caption", ""), request.form.get("credit", "")
    media.describe_media(item, alt, caption, credit)
    db.session.commit()
    snippet = body_snippet(
        url_for("public.media", filename=item.filename),
        request.form.get("body_format", "markdown"),
        item.alt,
        item.caption,
        item.credit,
    )
    return jsonify(snippet=snippet, item=_picker_item(item))
