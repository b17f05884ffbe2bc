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

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.DOTALL | re.IGNORECASE)
_PRE = re.compile(r"<pre\b.*?</pre>", re.DOTALL | re.IGNORECASE)
_PLACEHOLDER = re.compile("\x00([0-9]+)\x00")
_BLOCK = re.compile(
    r"</?(?:p|h[1-6]|ul|ol|dl|dt|dd|li|blockquote|pre|div|figure|figcaption|table|thead|tbody"
    r"|tfoot|tr|td|th|hr|address|section|article|aside|header|footer|nav|details|summary"
    r"|iframe|video|audio|object|form|script|style|math|svg)\b|\x00",
    re.IGNORECASE,
)
_CAPTION = re.compile(r"\[caption([^\]]*)\](.*?)\[/caption\]", re.DOTALL)
_CAPTIONED = re.compile(r"\s*((?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?)(.*)", re.DOTALL)
_CAPTION_ATTRIBUTE = re.compile(r'\bcaption="([^"]*)"')
_EMBED = re.compile(r"\[embed\b[^\]]*\]\s*(https?://[^\s\[<\"]+)\s*\[/embed\]")
_LONE_URL = re.compile(r"https?://[^\s<>\"]+")
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
    text = _SCRIPT.sub("", _COMMENT.sub("", content.replace("\r\n", "\n")))
    text = _CAPTION.sub(_figure, text)
    text = _EMBED.sub(lambda m: f'<a href="{m.group(1)}">{m.group(1)}</a>', text)
    text = _paragraphs(text)
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


def _paragraphs(text: str) -> str:
    """Wrap the runs of text between blank lines in <p>, as WordPress's wpautop does."""
    kept: list[str] = []

    def keep(match: re.Match) -> str:
        kept.append(match.group(0))
        return f"\x00{len(kept) - 1}\x00"

    # Preformatted text keeps its blank lines and line breaks.
    text = _PRE.sub(keep, text)
    out = []
    for chunk in re.split(r"\n\s*\n", text):
        chunk = chunk.strip()
        if not chunk:
            continue
        if _BLOCK.match(chunk):
            out.append(chunk)
        elif _LONE_URL.fullmatch(chunk):
            out.append(f'<p><a href="{chunk}">{chunk}</a></p>')
        else:
            out.append("<p>" + re.sub(r"\s*\n\s*", "<br>\n", chunk) + "</p>")
    return _PLACEHOLDER.sub(lambda m: kept[int(m.group(1))], "\n\n".join(out))
