"""The post form's picture for the body, stored and put at the end without JavaScript."""

from flask import url_for

from blog import failures, media
from blog.body_images import body_snippet
from blog.editor.forms import PostForm
from blog.extensions import db


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
