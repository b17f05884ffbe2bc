"""Uploaded images: checked by their content, stored under a server-chosen name, resized.

Every image is decoded by Pillow and written again, never stored as sent: what is kept is what
Pillow read, without metadata (a camera's GPS position, comments, XMP) and without anything
hidden after the image data. Files are written inside the caller's transaction and follow it:
a rolled-back upload leaves no file behind, a rolled-back delete loses none.
"""

import re
import secrets
import warnings
from collections.abc import Callable, Iterable
from io import BytesIO

from flask import current_app
from PIL import Image, ImageOps, ImageSequence
from sqlalchemy import distinct, event, func, or_, select
from werkzeug.datastructures import FileStorage

from blog import failures
from blog.extensions import db
from blog.models import Media, Post
from blog.storage import media_storage

FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
    "GIF": ("gif", "image/gif"),
}
CONTENT_TYPES = {extension: content_type for extension, content_type in FORMATS.values()}
# Pillow opens a phone's multi-picture JPEG as "MPO"; its first picture is kept, as a JPEG.
ALIASES = {"MPO": "JPEG"}
WIDTHS = (480, 960, 1600)
# Per upload, every frame of an animation counted: bounds the memory and time one upload takes.
MAX_PIXELS = 50_000_000
# What survives from the decoded image's info: colour and animation, no metadata.
KEPT_INFO = ("icc_profile", "transparency", "background", "duration", "loop")
STEM_BYTES = 12
# The names save_upload gives files: the only names the site serves from the media folder.
STORED_NAME = re.compile(
    rf"[0-9a-f]{{{2 * STEM_BYTES}}}(?:-[0-9]{{1,5}})?\.({'|'.join(CONTENT_TYPES)})"
)

REFUSED = "That file is not a JPEG, PNG, WebP or GIF image (or it is damaged)."


class UploadError(ValueError):
    """An upload this site refuses; the message is meant for the editor."""


def readable_size(size: int) -> str:
    """Return a byte count the way people say it: "16 MB", "200 KB", "900 bytes"."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.3g} MB"
    if size >= 1024:
        return f"{size / 1024:.3g} KB"
    return f"{size} bytes"


def _looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) and b"<svg" in data[:4096]


def _decode(data: bytes) -> tuple[str, list[Image.Image]]:
    """Return the format and the upright frames of the image in data, or raise UploadError."""
    if _looks_like_svg(data):
        raise UploadError("SVG images are not accepted (they can carry scripts).")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # formats=: Pillow never even parses a file as one of its other formats.
            Image.open(BytesIO(data), formats=list(FORMATS)).verify()
            image = Image.open(BytesIO(data), formats=list(FORMATS))
            kind = ALIASES.get(image.format, image.format)
            frame_count = 1 if kind == "JPEG" else getattr(image, "n_frames", 1)
            if image.width * image.height * frame_count > MAX_PIXELS:
                raise UploadError(
                    f"That image is too large: {MAX_PIXELS // 1_000_000} megapixels at most, "
                    "every frame of an animation counted."
                )
            if frame_count == 1:
                image.load()
                frames = [ImageOps.exif_transpose(image)]
            else:
                # Decoding every frame also proves that none of them is damaged.
                frames = [frame.copy() for frame in ImageSequence.Iterator(image)]
    except UploadError:
        raise
    except Exception:
        # A damaged or hostile file makes Pillow raise anything from UnidentifiedImageError
        # and DecompressionBombWarning to struct.error or IndexError: all mean "refused".
        raise UploadError(REFUSED) from None
    for frame in frames:
        frame.info = {key: value for key, value in frame.info.items() if key in KEPT_INFO}
    return kind, frames


def _resized(frame: Image.Image, width: int) -> Image.Image:
    if frame.mode in ("1", "P"):
        # Palette images would be resized pixel by pixel (nearest neighbour): jagged.
        frame = frame.convert("RGBA" if frame.has_transparency_data else "RGB")
    height = max(1, round(frame.height * width / frame.width))
    return frame.resize((width, height), Image.Resampling.LANCZOS)


def _encoded(frames: list[Image.Image], kind: str) -> bytes:
    first = frames[0]
    options: dict = {}
    if kind == "JPEG":
        if first.mode not in ("RGB", "L", "CMYK"):
            first = first.convert("RGB")
        options = {"quality": 85, "optimize": True, "progressive": True}
    elif kind == "WEBP":
        options = {"quality": 85}
    if first.info.get("icc_profile"):
        options["icc_profile"] = first.info["icc_profile"]
    if len(frames) > 1:
        options.update(
            save_all=True,
            append_images=frames[1:],
            duration=[frame.info.get("duration", 100) for frame in frames],
        )
        if "loop" in first.info:
            options["loop"] = first.info["loop"]
        if kind == "GIF" and any(frame.has_transparency_data for frame in frames):
            # Whole frames over a cleared canvas: a pixel may turn transparent again.
            options["disposal"] = 2
    out = BytesIO()
    first.save(out, kind, **options)
    return out.getvalue()


def clean_original_name(filename: str | None) -> str:
    """Return the name the file had on the editor's computer, without folders or controls."""
    name = re.split(r"[/\\]", filename or "")[-1]
    return re.sub(r"[\x00-\x1f\x7f]", "", name).strip()[:255]


def save_upload(upload: FileStorage) -> Media:
    """Check, store and resize an uploaded image; return its (flushed) Media row.

    The files disappear again if the transaction is rolled back instead of committed.
    """
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise UploadError(f"That image is larger than {readable_size(limit)}.")
    if not data:
        raise UploadError("That file is empty.")
    kind, frames = _decode(data)
    extension, content_type = FORMATS[kind]
    stem = secrets.token_hex(STEM_BYTES)
    width, height = frames[0].size
    widths = [w for w in WIDTHS if w < width]
    media = Media(
        filename=f"{stem}.{extension}",
        original_name=clean_original_name(upload.filename),
        content_type=content_type,
        width=width,
        height=height,
        variants=",".join(map(str, widths)),
    )
    db.session.add(media)
    db.session.flush()
    names = [media.filename, *variant_files(media)]
    written_in_transaction(names)
    store = media_storage()
    try:
        store.put(names[0], _encoded(frames, kind), content_type)
        for w, name in zip(widths, names[1:], strict=True):
            store.put(name, _encoded([_resized(frame, w) for frame in frames], kind), content_type)
    except (OSError, ValueError) as error:
        # Leave nothing behind, so that the caller may go on with the next upload.
        if failures.classify(error) is failures.DISK_FULL:
            # Every upload fails alike until space is made: the reason, not a traceback each.
            current_app.logger.error("could not store an upload: %s", failures.describe(error))
        else:
            current_app.logger.exception("could not store an upload")
        _remove(names)
        db.session.delete(media)
        db.session.flush()
        raise UploadError("That image could not be stored; please try another file.") from error
    return media


def variant_files(media: Media) -> list[str]:
    """Return the file names of an image's resized copies, narrowest first."""
    stem, extension = media.filename.rsplit(".", 1)
    return [f"{stem}-{w}.{extension}" for w in media.variants.split(",") if w]


def stored_files() -> list[tuple[str, str]]:
    """Return (name, content type) of every file of every image: originals and resized copies."""
    return [
        (name, media.content_type)
        for media in db.session.scalars(select(Media).order_by(Media.id))
        for name in [media.filename, *variant_files(media)]
    ]


def thumbnail_file(media: Media) -> str:
    """Return the file name of an image's narrowest copy (the original if it has none)."""
    return next(iter(variant_files(media)), media.filename)


def file_sizes(items: list[Media]) -> list[int | None]:
    """Return each image's original's size in bytes, None where its file is missing."""
    return media_storage().sizes([item.filename for item in items])


def srcset(media: Media, url_for_file: Callable[[str], str]) -> str:
    """Return a srcset value listing the resized copies and the original."""
    widths = [w for w in media.variants.split(",") if w]
    entries = [
        f"{url_for_file(name)} {w}w" for name, w in zip(variant_files(media), widths, strict=True)
    ]
    entries.append(f"{url_for_file(media.filename)} {media.width}w")
    return ", ".join(entries)


def served_type(filename: str) -> str | None:
    """Return the content type to serve a stored file with, or None if no upload has that name."""
    match = STORED_NAME.fullmatch(filename)
    return CONTENT_TYPES[match.group(1)] if match else None


def _stem(filename):
    """SQL for a stored file name without its extension, which its resized copies share."""
    for extension in CONTENT_TYPES:
        filename = func.replace(filename, f".{extension}", "")
    return filename


def _uses(media_column, filename_column):
    # A post uses an image when it is its featured image or when its body shows the image or
    # one of its resized copies (the stem is random: no false matches). Trashed posts count,
    # since they can be restored; revisions do not, since restoring one is a deliberate edit.
    return or_(Post.image_id == media_column, Post.body_html.contains(_stem(filename_column)))


def usage_counts(media_ids: Iterable[int]) -> dict[int, int]:
    """Return how many posts use each of these images; unused ones are left out."""
    ids = list(media_ids)
    if not ids:
        return {}
    stmt = (
        select(Media.id, func.count(distinct(Post.id)))
        .join(Post, _uses(Media.id, Media.filename))
        .where(Media.id.in_(ids))
        .group_by(Media.id)
    )
    return {media_id: count for media_id, count in db.session.execute(stmt)}


def posts_using(media: Media) -> list[Post]:
    """Return the posts that use an image, trashed ones included, newest first."""
    stmt = select(Post).where(_uses(media.id, media.filename)).order_by(Post.id.desc())
    return list(db.session.scalars(stmt))


def delete_media(media: Media) -> None:
    """Delete an image's row; its files go once the transaction commits.

    The caller checks that no post uses it (posts_using).
    """
    doomed_in_transaction([media.filename, *variant_files(media)])
    db.session.delete(media)


# The files a transaction wrote (removed unless it commits) or doomed (removed once it does).
_WRITTEN = "media_files_written"
_DOOMED = "media_files_doomed"


def written_in_transaction(names: Iterable[str]) -> None:
    """Note files just written for the transaction: removed unless it commits."""
    db.session.info.setdefault(_WRITTEN, []).extend(names)


def doomed_in_transaction(names: Iterable[str]) -> None:
    """Note files the transaction deletes: removed once it commits, kept if it rolls back."""
    db.session.info.setdefault(_DOOMED, []).extend(names)


def _remove(names: list[str]) -> None:
    if not names:
        return  # the usual case; and an app without media storage (restore's) may commit
    store = media_storage()
    for name in names:
        try:
            store.delete(name)
        except OSError:
            current_app.logger.exception("could not remove %s from %s", name, store)


@event.listens_for(db.session, "after_commit")
def _commit_files(session) -> None:
    session.info.pop(_WRITTEN, None)
    _remove(session.info.pop(_DOOMED, []))


@event.listens_for(db.session, "after_transaction_end")
def _discard_files(session, transaction) -> None:
    if transaction.parent is None:
        _remove(session.info.pop(_WRITTEN, []))
        session.info.pop(_DOOMED, None)


def describe_media(media: Media, alt: str, caption: str = "", credit: str = "") -> None:
    """Keep what the editor said of a picture, to offer it again the next time it is used."""
    media.alt = " ".join(alt.split())[:300]
    media.caption = " ".join(caption.split())[:1000]
    media.credit = " ".join(credit.split())[:300]


def library_page(query: str = "", limit: int = 24, offset: int = 0) -> tuple[list[Media], bool]:
    """Return images for the desk's picker, newest first, found by name or alt text.

    Also returns whether there are more after these.
    """
    stmt = select(Media).order_by(Media.created_at.desc(), Media.id.desc())
    words = query.split()[:5]
    for word in words:
        stmt = stmt.where(
            Media.original_name.icontains(word, autoescape=True)
            | Media.alt.icontains(word, autoescape=True)
            | Media.caption.icontains(word, autoescape=True)
        )
    rows = list(db.session.scalars(stmt.offset(offset).limit(limit + 1)))
    return rows[:limit], len(rows) > limit
