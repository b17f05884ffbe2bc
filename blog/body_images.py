"""Pictures in post bodies: the snippet the desk inserts, and responsive markup at render time.

A stored body keeps a plain <img src="/media/NAME" alt="...">: what the editor inserted,
sanitized. When a page shows it, each image from the media library gets its resized copies
(srcset, sizes), its size (width, height: no layout shift), and lazy loading after the first,
read from the media rows. An image that is deleted or re-cut later never leaves a stale
srcset behind in stored HTML.
"""

import html
import re
from collections.abc import Callable

from sqlalchemy import select

from blog.extensions import db
from blog.media import CONTENT_TYPES, STEM_BYTES, srcset
from blog.models import Media

# As the featured image: the column of text is 42rem wide at most.
BODY_SIZES = "(min-width: 44rem) 42rem, 100vw"
# A stored file name, original or resized copy: the original's name is the stem and extension.
_FILE = re.compile(
    rf"([0-9a-f]{{{2 * STEM_BYTES}}})(?:-[0-9]{{1,5}})?\.({'|'.join(CONTENT_TYPES)})"
)
# An <img> tag of clean HTML (see blog.render._TAG: every value in double quotes).
_IMG = re.compile(r'<img\b((?:\s+[a-zA-Z-]+(?:="[^"]*")?)*)\s*/?>')
_ATTRIBUTE = re.compile(r'([a-zA-Z-]+)(?:="([^"]*)")?')


def _one_line(text: str) -> str:
    return " ".join((text or "").split())


def body_snippet(url: str, body_format: str, alt: str, caption: str = "", credit: str = "") -> str:
    """Return what to put in a body for a picture: Markdown when it can say it all, else HTML.

    A caption or a credit needs a <figure>, which Markdown has no words for: raw HTML is
    allowed in Markdown (and sanitized like any).
    """
    alt, caption, credit = _one_line(alt), _one_line(caption), _one_line(credit)
    if body_format == "markdown" and not caption and not credit:
        escaped = re.sub(r"([\\\[\]])", r"\\\1", alt)
        return f"![{escaped}]({url})"
    e = html.escape
    image = f'<img src="{e(url)}" alt="{e(alt)}">'
    if not caption and not credit:
        return f"<p>{image}</p>"
    words = e(caption)
    if credit:
        words = f"{words} <small>{e(credit)}</small>" if words else f"<small>{e(credit)}</small>"
    return f"<figure>{image}<figcaption>{words}</figcaption></figure>"


def _attributes(text: str) -> dict[str, str | None]:
    return {name.lower(): value for name, value in _ATTRIBUTE.findall(text)}


def _library_file(src: str, media_path: str) -> tuple[str, str] | None:
    """Return (original file name, stem) if src is a file of the media library, else None."""
    if not src.startswith(media_path):
        return None
    match = _FILE.fullmatch(src[len(media_path) :])
    return (f"{match.group(1)}.{match.group(2)}", match.group(1)) if match else None


def responsive_images(body_html: str, url_for_file: Callable[[str], str]) -> str:
    """Return clean body HTML with each image made responsive; one query for all of them.

    url_for_file names a media file's URL; the media library's images are recognised by it.
    Every image decodes off the main thread, and all but the first load lazily.
    """
    if "<img" not in body_html:
        return body_html
    media_path = url_for_file("x")[:-1]  # the folder's path, with the site's prefix
    tags = list(_IMG.finditer(body_html))
    wanted = set()
    for tag in tags:
        found = _library_file(html.unescape(_attributes(tag.group(1)).get("src") or ""), media_path)
        if found:
            wanted.add(found[0])
    rows = {}
    if wanted:
        rows = {
            m.filename: m
            for m in db.session.scalars(select(Media).where(Media.filename.in_(wanted)))
        }
    parts, last = [], 0
    for index, tag in enumerate(tags):
        attributes = _attributes(tag.group(1))
        found = _library_file(html.unescape(attributes.get("src") or ""), media_path)
        image = rows.get(found[0]) if found else None
        if image is not None:
            attributes["srcset"] = html.escape(srcset(image, url_for_file))
            attributes["sizes"] = BODY_SIZES
            if not (attributes.get("width") or attributes.get("height")):
                attributes["width"], attributes["height"] = str(image.width), str(image.height)
        if index:
            attributes["loading"] = "lazy"
        attributes["decoding"] = "async"
        written = " ".join(
            name if value is None else f'{name}="{value}"' for name, value in attributes.items()
        )
        parts += [body_html[last : tag.start()], f"<img {written}>"]
        last = tag.end()
    parts.append(body_html[last:])
    return "".join(parts)
