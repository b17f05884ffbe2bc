"""The post form's pictures: the featured image's upload and the body's picture."""

from flask import url_for

from blog import failures, media
from blog.body_images import body_snippet
from blog.editor.forms import PostForm
from blog.extensions import db


def upload_name(form: PostForm) -> str:
    """Return the name of the file chosen under "Featured image", or "" if there is none."""
    return getattr(form.image.data, "filename", "") or ""


def chosen_image(form: PostForm) -> int | None:
    """Return the featured image's id: a new upload, or one chosen from the library."""
    if upload_name(form):
        try:
            return media.save_upload(form.image.data).id
        except media.UploadError as error:
            if failures.classify(error) is failures.DISK_FULL:
                raise  # not this file's fault: the whole save fails, the text comes back
            form.image.errors = [str(error)]
            return None
    return form.image_id.data or None


def file_not_kept(form: PostForm) -> None:
    """Say at the field that a file sent without a valid session was dropped."""
    for field in (form.image, form.body_image):
        if name := getattr(field.data, "filename", ""):
            field.errors = [
                f"“{media.clean_original_name(name)}” was not kept: choose the file again."
            ]


def add_body_picture(form: PostForm) -> bool:
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
