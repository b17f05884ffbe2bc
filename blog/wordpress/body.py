"""WordPress post content turned into the HTML WordPress would show, for the html body format.

WordPress stores a post's content half-finished and completes it on every page view; here it
is completed once, at import:
- scripts and styles are dropped whole (the sanitizer would leave their code behind as text),
  and so are comments, block editor ones (<!-- wp:paragraph -->) too; the part before
  <!--more--> is the post's teaser (its excerpt);
- paragraphs are made explicit as wpautop makes them (blog.wordpress.autop), in content
  without blocks as WordPress does: a blank line ends a paragraph, a single line break inside
  one is a <br> (classic editor posts have no <p> at all);
- [caption]<img> text[/caption] becomes <figure><img><figcaption>text</figcaption></figure>,
  [gallery] a figure of the imported images it shows, [audio] and [video] players;
  [embed]URL[/embed], an embed block (<!-- wp:embed {"url": ...} -->) and a URL alone on its
  line become the site's embed card when a provider's (blog.embeds), else links; an <h1> is
  an <h2> (the post's title is the page's <h1>);
- links to imported attachments (to any of their sizes) point at the images here instead.
Other shortcodes stay as text, and the import names them in its summary. The result goes
through the sanitizer like anything else the editor writes.
"""

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape

from blog.embeds import card_html, find_embed
from blog.wordpress.autop import wpautop

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_BLOCK_COMMENT = re.compile(r"<!-- /?wp:.*?-->\n?", re.DOTALL)
_EMPTY_PARAGRAPH = re.compile(r"<p>\s*</p>\n?")
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
_CAPTION = re.compile(r"\[caption([^\]]*)\](.*?)\[/caption\]", re.DOTALL)
_CAPTIONED = re.compile(r"\s*((?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?)(.*)", re.DOTALL)
_CAPTION_ATTRIBUTE = re.compile(r'\bcaption="([^"]*)"')
_EMBED = re.compile(r"\[embed\b[^\]]*\]\s*(https?://[^\s\[<\"]+)\s*\[/embed\]")
# WP_Embed::autoembed's pattern: a URL alone on its line.
_LONE_URL_LINE = re.compile(r"^(\s*)(https?://[^\s<>\"]+)(\s*)$", re.IGNORECASE | re.MULTILINE)
# An embed block, as the block editor saves it (wp:embed; core-embed/youtube before WP 5.6):
# its attributes name the URL, its figure shows the URL inside a wrapper, and a caption maybe.
_EMBED_BLOCK = re.compile(
    r"<!-- wp:(?:core-)?embed(?:/[\w-]+)?\s+(\{.*?\})\s*-->(.*?)"
    r"<!-- /wp:(?:core-)?embed(?:/[\w-]+)?\s*-->",
    re.DOTALL,
)
_BLOCK_URL = re.compile(r"https?://[^\s\"'<>\[\]]+")
_BLOCK_CAPTION = re.compile(r"<figcaption[^>]*>(.*?)</figcaption>", re.DOTALL)
_MORE = re.compile(r"<!--more(.*?)?-->")
_H1 = re.compile(r"<(/?)h1\b", re.IGNORECASE)
_GALLERY = re.compile(r"\[gallery\b([^\]]*)\]")
_PLAYER = re.compile(r"\[(audio|video)\b([^\]]*)\](?:\s*\[/\1\])?", re.IGNORECASE)
_PLAYER_FORMATS = {
    "audio": ("mp3", "m4a", "ogg", "wav"),
    "video": ("mp4", "m4v", "webm", "ogv", "wmv", "flv"),
}
_CORE_SHORTCODES = frozenset("audio caption embed gallery playlist video wp_caption".split())
_SHORTCODE_TAG = re.compile(r"\[(\[?)([A-Za-z][\w-]*)(?![\w-])([^\[\]]*)\]")
# shortcode_parse_atts: name="value", name='value', name=value (positional ones ignored).
_ATTRIBUTE = re.compile(
    r"""([\w-]+)\s*=\s*"([^"]*)"(?:\s|$)|([\w-]+)\s*=\s*'([^']*)'(?:\s|$)"""
    r"""|([\w-]+)\s*=\s*([^\s'"]+)(?:\s|$)"""
)
# Absolute URLs, and paths into WordPress's uploads folder: the places an upload is linked.
_URL = r"""[^\s"'<>()\[\]]"""
_UPLOAD = re.compile(rf"(?:https?:)?//{_URL}+|{_URL}*/wp-content/uploads/{_URL}+")
_SIZE_SUFFIX = re.compile(r"-(?:[0-9]+x[0-9]+|scaled)(?=\.\w+$)")


def upload_key(url: str, exact: bool = False) -> str:
    """Return what every size of an upload's URL has in common: "2024/05/harbour.jpg".

    exact: the path under uploads/ as it is, for an upload whose own name ends in a size
    ("banner-1200x400.jpg" is an original too).
    """
    path = url.split("?")[0].split("#")[0]
    if "/uploads/" in path:
        path = path.split("/uploads/", 1)[1]
    return path if exact else _SIZE_SUFFIX.sub("", path)


def has_size_suffix(path: str) -> bool:
    """Tell whether a file name ends as WordPress names resized copies: "-300x200.jpg"."""
    return bool(_SIZE_SUFFIX.search(path))


@dataclass
class Converted:
    """A post's content as HTML, its teaser, and the shortcodes left in it as text."""

    html: str
    teaser: str | None = None  # the HTML before <!--more-->, when there is one
    shortcodes: Counter = field(default_factory=Counter)  # name -> how many


# Given a [gallery]'s attributes, the HTML of the images it shows, or None when none is here.
Gallery = Callable[[dict[str, str]], str | None]


def convert_body(
    content: str, uploads: dict[str, str], gallery: Gallery | None = None
) -> Converted:
    """Return WordPress post content as HTML, with its teaser and the shortcodes it keeps.

    uploads maps an upload_key to the URL of the imported image that replaces it; gallery
    makes a [gallery] of the imported images.
    """
    html, shortcodes = _convert(content, uploads, gallery)
    teaser = None
    if more := _MORE.search(content):
        teaser = _convert(content[: more.start()], uploads, gallery)[0]
    return Converted(html, teaser, shortcodes)


def _convert(content: str, uploads: dict[str, str], gallery: Gallery | None):
    # WordPress runs wpautop only on content without blocks (has_blocks()).
    blocks = "<!-- wp:" in content
    text = _SCRIPT.sub("", content.replace("\r\n", "\n"))
    if blocks:
        text = _EMBED_BLOCK.sub(_embed_block, text)
        # With the line each block comment stands on: blocks stay a blank line apart.
        text = _BLOCK_COMMENT.sub("", text)
    text = _CAPTION.sub(_figure, text)
    text = _EMBED.sub(lambda m: embedded(m.group(1)), text)
    text = _PLAYER.sub(_player, text)
    if gallery is not None:
        text = _GALLERY.sub(lambda m: gallery(shortcode_attributes(m.group(1))) or m.group(0), text)
    text = _H1.sub(r"<\1h2", text)
    # Comments go after the paragraphs are made, as wpautop saw them (a reader never does).
    text = _EMPTY_PARAGRAPH.sub("", _COMMENT.sub("", _paragraphs(text, blocks))).strip()
    text = _UPLOAD.sub(lambda m: _uploaded(m.group(0), uploads), text)
    return text, shortcodes_left(text)


def _uploaded(url: str, uploads: dict[str, str]) -> str:
    # The upload of that very name first: an original may be named like a resized copy.
    return uploads.get(upload_key(url, exact=True)) or uploads.get(upload_key(url), url)


def shortcodes_left(text: str) -> Counter:
    """Count the shortcodes in text by name: WordPress's own, and any with attributes or an end.

    A bracketed word alone ("[top]", "[sic]") is text in WordPress too unless a plugin made
    it a shortcode: it is not counted. [[name]] is WordPress's way of writing one as text.
    """
    found = Counter()
    for match in _SHORTCODE_TAG.finditer(text):
        escaped, name, attributes = match.group(1), match.group(2).lower(), match.group(3)
        if escaped:
            continue
        if name in _CORE_SHORTCODES or "=" in attributes or f"[/{name}]" in text.lower():
            found[name] += 1
    return found


def shortcode_attributes(text: str) -> dict[str, str]:
    """Return a shortcode's attributes as WordPress reads them (shortcode_parse_atts)."""
    attributes = {}
    for match in _ATTRIBUTE.finditer(unescape_quotes(text)):
        name = next((g for g in match.group(1, 3, 5) if g), None)
        if name is not None:
            attributes[name.lower()] = next(g for g in match.group(2, 4, 6) if g is not None)
    return attributes


def unescape_quotes(text: str) -> str:
    # The editor's typographic quotes and non-breaking spaces, as WordPress normalizes them.
    return text.replace("\u00a0", " ").replace("\u200b", " ").replace("&quot;", '"')


def _player(match: re.Match) -> str:
    """Return the <audio> or <video> an [audio] or [video] shortcode shows, else the shortcode."""
    kind, attributes = match.group(1).lower(), shortcode_attributes(match.group(2))
    sources = [attributes[key] for key in ("src", *_PLAYER_FORMATS[kind]) if attributes.get(key)]
    if not sources:
        return match.group(0)  # the post's own attached file: nothing here to play
    size = "".join(
        f' {name}="{escape(attributes[name])}"'
        for name in ("width", "height")
        if kind == "video" and attributes.get(name, "").isdigit()
    )
    inner = "".join(f'<source src="{escape(url)}">' for url in sources)
    return f"<{kind} controls{size}>{inner}</{kind}>"


def embedded(url: str) -> str:
    """Return the site's embed card for a provider's URL (loading nothing), else a link to it."""
    embed = find_embed(url.replace("http://", "https://", 1))
    # As before: the URL as WordPress links it (its patterns exclude quotes and brackets).
    return card_html(embed) if embed else f'<a href="{url}">{url}</a>'


def _embed_block(match: re.Match) -> str:
    """Return an embed block as the site's card (its caption kept below), else its link."""
    try:
        attributes = json.loads(match.group(1))
    except ValueError:
        return match.group(0)
    url = attributes.get("url") if isinstance(attributes, dict) else None
    if not isinstance(url, str) or not _BLOCK_URL.fullmatch(url):
        return match.group(0)  # left as WordPress shows it: the URL as text
    caption = _BLOCK_CAPTION.search(match.group(2))
    below = f"\n<p>{caption.group(1).strip()}</p>" if caption and caption.group(1).strip() else ""
    shown = embedded(url)
    return (shown if shown.startswith("<figure") else f"<p>{shown}</p>") + below


def _figure(match: re.Match) -> str:
    attributes, inner = match.groups()
    parts = _CAPTIONED.fullmatch(inner)
    if parts is None:
        return match.group(0)
    image, caption = parts.group(1), parts.group(2).strip()
    if not caption and (named := _CAPTION_ATTRIBUTE.search(attributes)):
        caption = named.group(1)
    figcaption = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f"<figure>{image}{figcaption}</figure>"


def _paragraphs(text: str, blocks: bool) -> str:
    """Make paragraphs explicit as WordPress shows them.

    Block editor content is shown as stored: WordPress runs wpautop only on content without
    blocks. A URL alone on its line becomes a link first, as WordPress's autoembed leaves one
    it cannot embed.
    """
    text = _LONE_URL_LINE.sub(lambda m: f"{m[1]}{embedded(m[2])}{m[3]}", text)
    return text.strip() if blocks else wpautop(text)
