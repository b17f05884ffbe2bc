"""Metadata for search engines and link previews: canonical URLs and JSON-LD."""

from datetime import UTC, datetime

from flask import request

from blog.models import Post
from blog.settings import load_settings
from blog.urls import absolute_url, absolutize, small_int


def utc_iso(value: datetime) -> str:
    """Return a stored time as RFC 3339 / ISO 8601 in UTC, as metadata wants it."""
    return value.replace(tzinfo=UTC).isoformat(timespec="seconds")


def canonical_url() -> str:
    """Return this page's one true URL: no query string but the page number."""
    page = request.args.get("page", 1, type=small_int)
    url = absolutize(request.path)  # the path after the script root
    return f"{url}?page={page}" if page > 1 else url


def post_json_ld(post: Post) -> dict:
    """Return schema.org BlogPosting data for a post page."""
    url = absolute_url("public.post", slug=post.slug)
    data = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.seo_title or post.title,
        "description": post.seo_description or post.excerpt,
        "url": url,
        "mainEntityOfPage": url,
        "datePublished": utc_iso(post.published_at),
        "dateModified": utc_iso(post.updated_at),
        "author": {
            "@type": "Person",
            "name": post.author.display_name,
            "url": absolute_url("public.author", username=post.author.username),
        },
        "publisher": {"@type": "Organization", "name": load_settings().title},
        "articleSection": post.category.name,
        "keywords": [tag.name for tag in post.tags],
        "wordCount": post.word_count,
    }
    if post.image:
        data["image"] = absolute_url("public.media", filename=post.image.filename)
    return data
