"""Turn what the editor typed (Markdown or HTML) into the clean HTML readers get."""

import html
import re
from dataclasses import asdict, dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from blog.embeds import card_html, find_embed, iframes_to_cards
from blog.sanitize import BodyTooComplex, clean_html, removed_summary

FORMATS = ("markdown", "html")
# How deep Markdown may nest (quotes in lists in quotes ...). The preset's 20 was a trap:
# markdown-it drops everything past that depth, and the rest of the body with it, silently.
# Up to this depth a body renders whole; past it, it is refused (text kept in the form).
MAX_MARKDOWN_NESTING = 100
# CommonMark plus GitHub-style tables, footnotes ([^1]), task lists (- [x]), bare URLs as
# links and ids on headings; raw HTML is allowed in Markdown, then sanitized. Each plugin's
# markup has its classes and ids allowed in blog/sanitize.py, and nothing else.
_OPTIONS = {"html": True, "linkify": True}


def _block_markdown(typographer: bool) -> MarkdownIt:
    options = {**_OPTIONS, "maxNesting": MAX_MARKDOWN_NESTING, "typographer": typographer}
    md = MarkdownIt("commonmark", options).enable(["table", "linkify"])
    if typographer:
        # “Curly quotes”, ‘single’ ones, -- and --- as dashes, ... as an ellipsis.
        md.enable(["replacements", "smartquotes"])
    md.use(footnote_plugin).use(tasklists_plugin).use(anchors_plugin, max_level=6)
    md.core.ruler.at("inline", _inline)
    return md


# Inline nesting ("[[[a]]]", emphasis in links) keeps the preset's 20: past it, markdown-it
# leaves the rest as text, and deeper made "[" x 100,000 four times slower. Footnote
# references and bare URLs are inline rules: this parser has them too.
_inline_markdown = MarkdownIt("commonmark", _OPTIONS).enable(["table", "linkify"])
_inline_markdown.use(footnote_plugin)


def _inline(state) -> None:
    # markdown-it's core "inline" rule, with the inline parser of _inline_markdown.
    for token in state.tokens:
        if token.type == "inline":
            if token.children is None:
                token.children = []
            _inline_markdown.inline.parse(
                token.content, _inline_markdown, state.env, token.children
            )


# Typographic quotes are a site setting (SiteSettings.typographic_quotes): a parser for each.
_markdown = _block_markdown(typographer=False)
_typographic_markdown = _block_markdown(typographer=True)
_WORDS = re.compile(r"\w+")


# No line break after these: in a table, html5lib reads each one as text to move out of the
# table, which doubled its work on a long table.
_TABLE_PARTS = frozenset({"thead", "tbody", "tr", "th", "td"})


_ALIGN = re.compile(r"text-align:(left|right|center)")
# How the task list plugin writes "- [ ]" and "- [x]": a disabled checkbox, as raw HTML.
_TASK_BOX = '<input class="task-list-item-checkbox"'
# A paragraph of its own that asks for a table of contents of the body's headings.
_TOC = re.compile(r"\[\[\s*toc\s*\]\]|\[toc\]", re.IGNORECASE)


def _markdown_html(source: str, typographic: bool = False) -> str:
    md = _typographic_markdown if typographic else _markdown
    env: dict = {}
    tokens = md.parse(source, env)
    headings = []  # (level, id, text) of each heading, for a table of contents
    toc_at = []  # where a "[[toc]]" paragraph starts
    cards = []  # (where a paragraph of nothing but a provider's address starts, its card)
    for index, token in enumerate(tokens):
        if token.nesting == 1 and token.level >= MAX_MARKDOWN_NESTING - 1:
            # markdown-it stopped here: what this element held, and all after it, is gone.
            raise BodyTooComplex(f"Markdown nested more than {MAX_MARKDOWN_NESTING} levels deep")
        if token.type == "heading_open":
            # The post's title is the page's only h1: a Markdown "# Heading" becomes an h2.
            level = max(int(token.tag[1]), 2)
            token.tag = f"h{level}"
            tokens[index + 2].tag = token.tag
            if anchor := token.attrGet("id"):
                headings.append((level, str(anchor), _permalink(tokens[index + 1], anchor)))
        elif token.tag in _TABLE_PARTS or token.type == "table_open":
            token.block = False
            if (style := token.attrGet("style")) and (align := _ALIGN.fullmatch(str(style))):
                # A column's alignment, as the attribute the sanitizer keeps (not a style).
                token.attrs.pop("style")
                token.attrSet("align", align.group(1))
        elif token.type == "inline" and token.children and _is_task_box(token.children[0]):
            token.children[0] = _task_mark(token.children[0])
        elif (
            token.type == "paragraph_open"
            and token.level == 0
            and _TOC.fullmatch(tokens[index + 1].content.strip())
        ):
            toc_at.append(index)
        elif token.type == "paragraph_open" and (embed := _embedded(tokens[index + 1])):
            cards.append((index, card_html(embed)))
    replaced = [(index, _table_of_contents(headings)) for index in toc_at] + cards
    for index, markup in sorted(replaced, reverse=True):
        # The paragraph's three tokens (open, inline, close) become the block of HTML.
        block = markup + "\n" if markup else ""
        tokens[index : index + 3] = [Token("html_block", "", 0, content=block)]
    return md.renderer.render(tokens, md.options, env)


def _embedded(inline: Token):
    """Return the embed of a paragraph that is nothing but a provider's bare address."""
    children = inline.children or []
    if len(children) != 3 or children[0].type != "link_open" or children[2].type != "link_close":
        return None
    href = str(children[0].attrGet("href") or "")
    if children[1].type != "text" or children[1].content != href:
        return None  # a link with words of its own stays a link
    return find_embed(href)


def _is_task_box(token: Token) -> bool:
    return token.type == "html_inline" and token.content.startswith(_TASK_BOX)


def _task_mark(box: Token) -> Token:
    """A task list's box as a ballot box sign: no form control reaches a reader's page."""
    return Token("text", "", 0, content="☑" if 'checked="checked"' in box.content else "☐")


def _permalink(inline: Token, anchor) -> str:
    """Add a link to the heading's own address inside it; return the heading's text."""
    text = "".join(
        child.content for child in inline.children or () if child.type in ("text", "code_inline")
    )
    link = Token("link_open", "a", 1, attrs={"class": "header-anchor", "href": f"#{anchor}"})
    link.attrSet("aria-label", f"Link to “{text}”")
    inline.children = [*(inline.children or ()), link, Token("link_close", "a", -1)]
    return text


def _table_of_contents(headings: list[tuple[int, str, str]]) -> str:
    """Return a nested list of links to the headings, for "[[toc]]"; nothing without any."""
    if not headings:
        return ""
    top = min(level for level, _, _ in headings)
    parts, depth = ['<nav class="toc" aria-label="Contents">'], 0
    for level, anchor, text in headings:
        wanted = level - top + 1
        if wanted > depth:
            parts.append("<ul><li>" * (wanted - depth))
        else:
            parts.append("</li></ul>" * (depth - wanted) + "</li><li>")
        depth = wanted
        parts.append(f'<a href="#{html.escape(anchor)}">{html.escape(text)}</a>')
    parts.append("</li></ul>" * depth + "</nav>\n")
    return "".join(parts)


def render_body(
    source: str, body_format: str, typographic: bool = False, report: list | None = None
) -> str:
    """Return sanitized HTML for a post body in the given format.

    typographic: Markdown gets curly quotes and dashes (the site's setting). report: a list
    to add what the sanitizer removed to (see blog.sanitize.clean_html).
    """
    raw = _markdown_html(source, typographic) if body_format == "markdown" else source
    raw = iframes_to_cards(raw)
    return clean_html(raw, report)


# A tag of clean HTML: the serializer quotes every attribute value with '"' and escapes '"'
# inside one, and escapes "<" in text, so a tag runs to the first ">" outside quotes. Clean
# HTML has no comments. Split on this, clean HTML gives text, "/" or "", name, text, ...
_TAG = re.compile(r'<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>"]*(?:"[^"]*"[^>"]*)*>')
# Block-level tags separate words even when the HTML has no whitespace between them.
_BLOCKS = frozenset(
    """p h1 h2 h3 h4 h5 h6 li ul ol dl dt dd blockquote pre div br hr tr td th table caption
    figure figcaption details summary""".split()
)
# What a summary is made of: a heading or a list run into the next sentence reads as nonsense
# ("Where things are Readers see ...", "item one item two Closing ..."), code is noise.
_PROSE = frozenset({"p", "blockquote"})


@dataclass(frozen=True)
class _Text:
    """The text of clean HTML, read in one linear pass: all of it, and its prose."""

    words: list[str]  # with blocks kept apart
    prose: list[str]  # the words inside paragraphs and quotes


def _read(clean: str) -> _Text:
    parts = _TAG.split(clean)
    text = [parts[0]]
    prose: list[str] = []
    in_prose = 0  # how many paragraphs or quotes the text is inside
    for n in range(1, len(parts), 3):
        closing, name, after = parts[n], parts[n + 1].lower(), parts[n + 2]
        gap = " " if name in _BLOCKS else ""
        text.append(gap)
        if name in _PROSE:
            if closing:
                in_prose = max(in_prose - 1, 0)
                if not in_prose:
                    prose.append(" ")  # one paragraph or quote ends: a word ends
            else:
                if in_prose:
                    prose.append(" ")
                in_prose += 1
        elif in_prose:
            prose.append(gap)
        text.append(after)
        if in_prose:
            prose.append(after)
    return _Text(
        words=html.unescape("".join(text)).split(), prose=html.unescape("".join(prose)).split()
    )


def plain_text(clean: str) -> str:
    """Return the readable text of clean HTML, whitespace collapsed."""
    return " ".join(html.unescape(_TAG.sub("", clean)).split())


def word_count(clean: str) -> int:
    return _count_words(search_text(clean))


def _count_words(text: str) -> int:
    return len(_WORDS.findall(text))


def search_text(clean: str) -> str:
    """Return the words of clean HTML for the search index: plain text, blocks kept apart."""
    return " ".join(_read(clean).words)


# Left off the last word of a cut excerpt, so that it never ends in ".…" or ",…".
_CUT_PUNCTUATION = ".,;:!?…-–— "


def _excerpt(text: _Text, words: int = 40) -> str:
    parts = text.prose or text.words
    if len(parts) <= words:
        return " ".join(parts)
    return " ".join(parts[:words]).rstrip(_CUT_PUNCTUATION) + "…"


def derive_excerpt(clean: str, words: int = 40) -> str:
    """Return the first words of a body's text, for a post whose excerpt is blank.

    Paragraphs and quotes, kept apart by a space; a body with none of them gives all its
    text. Stored with the post: a change here reaches a post when it is next saved
    (or by `flask rerender`).
    """
    return _excerpt(_read(clean), words)


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


def body_fields(
    source: str, body_format: str, excerpt: str = "", typographic: bool = False
) -> BodyFields:
    """Return the stored fields of a body: the one path from what was typed to what is kept.

    A blank excerpt is derived from the body; a given one is kept as typed (stripped). The
    body is cleaned once (one html5lib parse) and everything else is read from the clean
    HTML in one linear pass. Raises BodyTooComplex (from the sanitizer) for a body that
    would take too long; the post form checks for that first (see check_body).
    """
    clean, text, _ = _rendered(source, body_format, typographic)
    given = excerpt.strip()
    searched = " ".join(text.words)
    return BodyFields(
        body_html=clean,
        search_text=searched,
        word_count=_count_words(searched),
        excerpt=given or _excerpt(text),
        custom_excerpt=bool(given),
    )


# The last body rendered, or the refusal it got: the post form checks a body before the view
# saves it, and both then cost one render.
_last: tuple[tuple[str, str, bool], tuple[str, _Text, list[str]] | BodyTooComplex] | None = None


def _rendered(
    source: str, body_format: str, typographic: bool = False
) -> tuple[str, _Text, list[str]]:
    global _last
    key = (source, body_format, typographic)
    last = _last
    if last is not None and last[0] == key:
        result = last[1]
    else:
        try:
            report: list = []
            clean = render_body(source, body_format, typographic, report)
            result = (clean, _read(clean), removed_summary(report))
        except BodyTooComplex as refusal:
            result = refusal
        _last = (key, result)
    if isinstance(result, BodyTooComplex):
        raise result
    return result


def check_body(source: str, body_format: str, typographic: bool = False) -> str | None:
    """Return why a body cannot be saved, or None: the reason a form field shows."""
    try:
        _rendered(source, body_format, typographic)
    except BodyTooComplex as refusal:
        return (
            f"This body is too complex to save ({refusal}). Split it into several posts, "
            "or simplify its structure; your text is kept below."
        )
    return None


def removed_parts(source: str, body_format: str, typographic: bool = False) -> list[str]:
    """Return what the sanitizer took out of this body, with why: for the editor to read.

    The body's last render is kept, so right after body_fields this costs nothing.
    """
    try:
        return _rendered(source, body_format, typographic)[2]
    except BodyTooComplex:
        return []
