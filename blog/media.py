"""Uploaded images: checked by their content, stored under a server-chosen name, resized."""

import secrets
import warnings
from io import BytesIO
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError
from werkzeug.datastructures import FileStorage

from blog.extensions import db
from blog.models import Media

FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
    "GIF": ("gif", "image/gif"),
}
WIDTHS = (480, 960, 1600)
MAX_PIXELS = 50_000_000


class UploadError(ValueError):
    pass


def media_folder() -> Path:
    folder = Path(current_app.config["MEDIA_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _open_image(data: bytes) -> Image.Image:
    """Return the image in data, refusing anything Pillow does not read as one of FORMATS."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(BytesIO(data))
            probe.verify()
            image = Image.open(BytesIO(data))
            if image.format not in FORMATS:
                raise UploadError("Upload a JPEG, PNG, WebP or GIF image.")
            if image.width * image.height > MAX_PIXELS:
                raise UploadError("That image has too many pixels (50 megapixels at most).")
            image.load()
    except (
        UnidentifiedImageError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
        OSError,
        SyntaxError,
        ValueError,
    ) as error:
        if isinstance(error, UploadError):
            raise
        raise UploadError(
            "That file is not an image this site accepts (JPEG, PNG, WebP or GIF)."
        ) from None
    return image


def save_upload(upload: FileStorage) -> Media:
    """Check, store and resize an uploaded image; return its (flushed) Media row."""
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise UploadError(f"That image is larger than {limit // (1024 * 1024)} MB.")
    if not data:
        raise UploadError("That file is empty.")
    image = _open_image(data)
    kind = image.format
    extension, content_type = FORMATS[kind]
    stem = secrets.token_hex(12)
    folder = media_folder()
    animated = getattr(image, "is_animated", False)
    if animated:
        # Re-encoding would lose frames; the bytes were read and verified as a GIF or WebP.
        (folder / f"{stem}.{extension}").write_bytes(data)
        widths = []
    else:
        # Re-encoding drops metadata such as a camera's GPS position.
        image = ImageOps.exif_transpose(image)
        _save(image, folder / f"{stem}.{extension}", kind)
        widths = [w for w in WIDTHS if w < image.width]
        for width in widths:
            copy = image.copy()
            copy.thumbnail((width, image.height * width // image.width + 1))
            _save(copy, folder / f"{stem}-{width}.{extension}", kind)
    media = Media(
        filename=f"{stem}.{extension}",
        original_name=Path(upload.filename or "").name[:255],
        content_type=content_type,
        width=image.width,
        height=image.height,
        variants=",".join(map(str, widths)),
    )
    db.session.add(media)
    db.session.flush()
    return media


def _save(image: Image.Image, path: Path, kind: str) -> None:
    if kind == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    options = {"quality": 85, "optimize": True} if kind in ("JPEG", "WEBP") else {}
    image.save(path, kind, **options)


def variant_files(media: Media) -> list[str]:
    """Return the file names of an image's resized copies."""
    stem, extension = media.filename.rsplit(".", 1)
    return [f"{stem}-{w}.{extension}" for w in media.variants.split(",") if w]


def srcset(media: Media, url_for_file) -> str:
    """Return a srcset value listing the resized copies and the original."""
    stem, extension = media.filename.rsplit(".", 1)
    entries = [
        f"{url_for_file(f'{stem}-{w}.{extension}')} {w}w" for w in media.variants.split(",") if w
    ]
    entries.append(f"{url_for_file(media.filename)} {media.width}w")
    return ", ".join(entries)


def delete_media(media: Media) -> None:
    """Delete an image's row and files (the caller checks it is unused)."""
    folder = media_folder()
    for name in [media.filename, *variant_files(media)]:
        (folder / name).unlink(missing_ok=True)
    db.session.delete(media)
