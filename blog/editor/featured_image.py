"""The featured image fields the post and page forms share: a file, or one from the library.

Each form has `image` (a file), `image_id` (the library's list) and `image_alt`.
"""

from collections.abc import Callable

from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from blog import failures, media
from blog.extensions import db
from blog.models import Media


def library_choices(own: int | None, none_label: str = "No image") -> list[SelectChoice]:
    """The choices of an image list: none, the 100 newest images and always own, however old.

    Someone signed out sees numbers, never the site's file names.
    """
    recent = select(Media.id).order_by(Media.id.desc()).limit(100)
    keep = Media.id.in_(recent) | (Media.id == own) if own else Media.id.in_(recent)
    images = db.session.scalars(select(Media).where(keep).order_by(Media.id.desc()))
    signed_in = current_user.is_authenticated
    return [SelectChoice(0, none_label)] + [
        SelectChoice(m.id, (m.original_name or m.filename) if signed_in else f"Image {m.id}")
        for m in images
    ]


def upload_name(form) -> str:
    """Return the name of the file chosen under "Featured image", or "" if there is none."""
    return getattr(form.image.data, "filename", "") or ""


def needs_alt(form) -> bool:
    """Add the field error of an image without a description; True if it was missing."""
    if (upload_name(form) or form.image_id.data) and not (form.image_alt.data or "").strip():
        form.image_alt.errors = ["Describe the image for readers who cannot see it."]
        return True
    return False


def chosen_image(form) -> int | None:
    """Return the featured image's id: a new upload, or one chosen from the library."""
    if upload_name(form):
        try:
            item = media.save_upload(form.image.data)
        except media.UploadError as error:
            if failures.classify(error) is failures.DISK_FULL:
                raise  # not this file's fault: the whole save fails, the text comes back
            form.image.errors = [str(error)]
            return None
        # The description typed with it is the picture's own from now on: the library, the
        # picker and its Describe page offer it again.
        if alt := (form.image_alt.data or "").strip():
            media.describe_media(item, alt)
        return item.id
    return form.image_id.data or None


def keep_upload(form, fill_choices: Callable[[], None]) -> None:
    """Store the image of a form refused for other reasons and choose it in the library list.

    Committed on its own, as the media page would, so that the editor need not pick the
    file again; a refused file is not stored and its reason is shown at the field.
    fill_choices lists the library again, with the new image in it.
    """
    name = upload_name(form)
    image_id = chosen_image(form) if name else None
    if image_id is None:
        return
    db.session.commit()
    fill_choices()
    form.image_id.data = image_id
    form.image_id.errors = []
    form.image_id.description = (
        f"“{media.clean_original_name(name)}” was kept: it is now in Media and chosen here, "
        "so there is no need to choose the file again."
    )


def file_not_kept(form) -> None:
    """Say at the field that a file sent without a valid session (or save) was dropped."""
    for field in (form.image, getattr(form, "body_image", None)):
        if field is not None and (name := getattr(field.data, "filename", "")):
            field.errors = [
                f"“{media.clean_original_name(name)}” was not kept: choose the file again."
            ]
