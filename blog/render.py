"""Turn what the editor typed (Markdown or HTML) into the clean HTML readers get."""

import html
import re
from dataclasses import asdict, dataclass

from markdown_it import MarkdownIt

from blog.sanitize import clean_html, strip_tags

FORMATS = ("markdown", "html")
# CommonMark plus GitHub-style tables; raw HTML is allowed in Markdown, then sanitized.
_markdown = MarkdownIt("commonmark", {"html": True}).enable("table")
_WORDS = re.compile(r"\w+")


def _markdown_html(source: str) -> str:
    tokens = _markdown.parse(source)
    for token in tokens:
        # The post's title is the page's only h1: a Markdown "# Heading" becomes an h2.
        if token.type in ("heading_open", "heading_close") and token.tag == "h1":
            token.tag = "h2"
    return _markdown.renderer.render(tokens, _markdown.options, {})


def render_body(source: str, body_format: str) -> str:
    """Return sanitized HTML for a post body in the given format."""
    raw = _markdown_html(source) if body_format == "markdown" else source
    return clean_html(raw)


def plain_text(clean: str) -> str:
    """Return the readable text of clean HTML, whitespace collapsed."""
    return " ".join(html.unescape(strip_tags(clean)).split())


def word_count(clean: str) -> int:
    return len(_WORDS.findall(plain_text(clean)))


# Block-level tags separate words even when the HTML has no whitespace between them.
_BLOCK_BOUNDARY = re.compile(
    r"<(?=/?(?:p|h[1-6]|li|ul|ol|dl|dt|dd|blockquote|pre|div|br|hr|tr|td|th|table|caption"
    r"|figure|figcaption|details|summary)\b)",
    re.IGNORECASE,
)


def search_text(clean: str) -> str:
    """Return the words of clean HTML for the search index: plain text, blocks kept apart."""
    return plain_text(_BLOCK_BOUNDARY.sub(" <", clean))


# What a summary is made of: a heading or a list run into the next sentence reads as nonsense
# ("Where things are Readers see ...", "item one item two Closing ..."), code is noise.
_PROSE = re.compile(r"<(p|blockquote)\b[^>]*>.*?</\1>", re.DOTALL | re.IGNORECASE)
# Left off the last word of a cut excerpt, so that it never ends in ".…" or ",…".
_CUT_PUNCTUATION = ".,;:!?…-–— "


def derive_excerpt(clean: str, words: int = 40) -> str:
    """Return the first words of a body's text, for a post whose excerpt is blank.

    Paragraphs and quotes, kept apart by a space; a body with none of them gives all its
    text. Stored with the post: a change here reaches a post when it is next saved
    (or by `flask rerender`).
    """
    prose = " ".join(match.group(0) for match in _PROSE.finditer(clean))
    parts = search_text(prose).split() or search_text(clean).split()
    if len(parts) <= words:
        return " ".join(parts)
    return " ".join(parts[:words]).rstrip(_CUT_PUNCTUATION) + "…"


@dataclass(frozen=True)
class BodyFields:
    """What a post stores of its body besides the source: every writer stores all of these."""

    body_html: str
    search_text: str
    word_count: int
    excerpt: str
    custom_excerpt: bool

    def as_dict(self) -> dict:
        return asdict(self)


def body_fields(source: str, body_format: str, excerpt: str = "") -> BodyFields:
    """Return the stored fields of a body: the one path from what was typed to what is kept.

    A blank excerpt is derived from the body; a given one is kept as typed (stripped).
    """
    clean = render_body(source, body_format)
    given = excerpt.strip()
    return BodyFields(
        body_html=clean,
        search_text=search_text(clean),
        word_count=word_count(clean),
        excerpt=given or derive_excerpt(clean),
        custom_excerpt=bool(given),
    )
