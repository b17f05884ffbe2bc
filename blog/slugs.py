"""Readable, Unicode-aware, unique slugs."""

import re
import unicodedata

from sqlalchemy import select

from blog.extensions import db

_NOT_WORD = re.compile(r"[^\w]+")


def slugify(text: str, max_length: int = 80) -> str:
    """Return a URL slug that keeps letters of any script: "Café Zürich" -> "café-zürich"."""
    text = unicodedata.normalize("NFKC", text).lower().replace("_", " ")
    slug = _NOT_WORD.sub("-", text).strip("-")
    return slug[:max_length].rstrip("-") or "post"


def unique_slug(model, base: str, exclude_id: int | None = None, also_taken=()) -> str:
    """Return base, or base-2, base-3 ..., whichever no other row of model uses.

    also_taken: slugs of rows not yet in the database (new tags of the same save).
    """
    taken = set(also_taken) | set(
        db.session.scalars(
            select(model.slug).where(
                (model.slug == base) | model.slug.startswith(base + "-", autoescape=True),
                model.id != (exclude_id or -1),
            )
        )
    )
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug
