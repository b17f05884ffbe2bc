"""WordPress post content turned into the HTML WordPress would show, for the html body format.

WordPress stores a post's content half-finished and completes it on every page view; here it
is completed once, at import:
- block editor comments (<!-- wp:paragraph -->) and other comments (<!--more-->) are dropped,
  and so are scripts and styles whole (the sanitizer would leave their code behind as text);
- paragraphs are made explicit as wpautop makes them: a blank line ends a paragraph, a single
  line break inside one is a <br> (classic editor posts have no <p> at all);
- [caption]<img> text[/caption] becomes <figure><img><figcaption>text</figcaption></figure>,
  [embed]URL[/embed] and a URL alone on its line become links;
- links to imported attachments (to any of their sizes) point at the images here instead.
Other shortcodes ([gallery], [video] ...) stay as text, and the import reports the posts that
keep some. The result goes through the sanitizer like anything else the editor writes.
"""

import re

from blog.wordpress.autop import wpautop

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_EMPTY_PARAGRAPH = re.compile(r"<p>\s*</p>\n?")
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
_CAPTION = re.compile(r"\[caption([^\]]*)\](.*?)\[/caption\]", re.DOTALL)
_CAPTIONED = re.compile(r"\s*((?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?)(.*)", re.DOTALL)
_CAPTION_ATTRIBUTE = re.compile(r'\bcaption="([^"]*)"')
_EMBED = re.compile(r"\[embed\b[^\]]*\]\s*(https?://[^\s\[<\"]+)\s*\[/embed\]")
# WP_Embed::autoembed's pattern: a URL alone on its line.
_LONE_URL_LINE = re.compile(r"^(\s*)(https?://[^\s<>\"]+)(\s*)$", re.IGNORECASE | re.MULTILINE)
_SHORTCODE = re.compile(
    r"\[/?(?:gallery|audio|video|playlist|embed|caption|wp_caption)\b|\[(\w[\w-]*)\b[^\]]*\].*?\[/\1\]",
    re.DOTALL,
)
# Absolute URLs, and paths into WordPress's uploads folder: the places an upload is linked.
_URL = r"""[^\s"'<>()\[\]]"""
_UPLOAD = re.compile(rf"(?:https?:)?//{_URL}+|{_URL}*/wp-content/uploads/{_URL}+")
_SIZE_SUFFIX = re.compile(r"-(?:[0-9]+x[0-9]+|scaled)(?=\.\w+$)")


def upload_key(url: str) -> str:
    """Return what every size of an upload's URL has in common: "2024/05/harbour.jpg"."""
    path = url.split("?")[0].split("#")[0]
    if "/uploads/" in path:
        path = path.split("/uploads/", 1)[1]
    return _SIZE_SUFFIX.sub("", path)


def convert_body(content: str, uploads: dict[str, str]) -> tuple[str, bool]:
    """Return (HTML, whether unconverted shortcodes remain) for WordPress post content.

    uploads maps an upload_key to the URL of the imported image that replaces it.
    """
    # WordPress runs wpautop only on content without blocks (has_blocks()).
    blocks = "<!-- wp:" in content
    text = _SCRIPT.sub("", content.replace("\r\n", "\n"))
    text = _CAPTION.sub(_figure, text)
    text = _EMBED.sub(lambda m: f'<a href="{m.group(1)}">{m.group(1)}</a>', text)
    # Comments go after the paragraphs are made, as wpautop saw them (a reader never does).
    text = _EMPTY_PARAGRAPH.sub("", _COMMENT.sub("", _paragraphs(text, blocks))).strip()
    text = _UPLOAD.sub(lambda m: uploads.get(upload_key(m.group(0)), m.group(0)), text)
    return text, bool(_SHORTCODE.search(text))


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
    text = _LONE_URL_LINE.sub(lambda m: f'{m[1]}<a href="{m[2]}">{m[2]}</a>{m[3]}', text)
    return text.strip() if blocks else wpautop(text)
