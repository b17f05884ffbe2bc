"""WordPress's wpautop() in Python: paragraphs and line breaks as WordPress shows them.

A line-by-line port of wpautop() from wp-includes/formatting.php (WordPress 6.1), so that a
classic-editor post, which has no <p> at all, reads here as it did there: a blank line ends a
paragraph, a single line break is a <br />, and none of that happens next to block-level tags
(no <br /> after a heading or between list items). tests/data/wpautop/ holds inputs with the
output of WordPress's own function for each, which the port must give byte for byte.

The patterns run with re.ASCII: PHP's \\s without the u flag is ASCII whitespace, so a
no-break space (U+00A0) is text, not a line's end.
"""

import re

_ALL_BLOCKS = (
    r"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre"
    r"|form|map|area|blockquote|address|math|style|p|h[1-6]|hr|fieldset|legend|section"
    r"|article|aside|hgroup|header|footer|nav|figure|figcaption|details|menu|summary)"
)
_A = re.ASCII
# wp_html_split(): an element, a comment or a CDATA section, each up to its end.
_HTML_SPLIT = re.compile(
    r"(<(?:!--(?:-(?!->)|[^-])*(?:-->)?|!\[CDATA\[(?:\](?!\]>)|[^\]])*(?:\]\]>)?|[^>]*>?))",
    re.DOTALL,
)
_SUBS_BEFORE = [
    (re.compile(r"<br\s*/?>\s*<br\s*/?>", _A), "\n\n"),
    (re.compile(r"(<" + _ALL_BLOCKS + r"[\s/>])", _A), "\n\n\\1"),
    (re.compile(r"(</" + _ALL_BLOCKS + r">)", _A), "\\1\n\n"),
    (re.compile(r"(<hr\s*?/?>)", _A), "\\1\n\n"),
]
_OPTION = [
    (re.compile(r"\s*<option", _A), "<option"),
    (re.compile(r"</option>\s*", _A), "</option>"),
]
_OBJECT = [
    (re.compile(r"(<object[^>]*>)\s*", _A), "\\1"),
    (re.compile(r"\s*</object>", _A), "</object>"),
    (re.compile(r"\s*(</?(?:param|embed)[^>]*>)\s*", _A), "\\1"),
]
_MEDIA = [
    (re.compile(r"([<\[](?:audio|video)[^>\]]*[>\]])\s*", _A), "\\1"),
    (re.compile(r"\s*([<\[]/(?:audio|video)[>\]])", _A), "\\1"),
    (re.compile(r"\s*(<(?:source|track)[^>]*>)\s*", _A), "\\1"),
]
_FIGCAPTION = [
    (re.compile(r"\s*(<figcaption[^>]*>)", _A), "\\1"),
    (re.compile(r"</figcaption>\s*", _A), "</figcaption>"),
]
_PARAGRAPH_SPLIT = re.compile(r"\n\s*\n", _A)
_SUBS_AFTER = [
    (re.compile(r"<p>\s*</p>", _A), ""),
    (re.compile(r"<p>([^<]+)</(div|address|form)>", _A), "<p>\\1</p></\\2>"),
    (re.compile(r"<p>\s*(</?" + _ALL_BLOCKS + r"[^>]*>)\s*</p>", _A), "\\1"),
    (re.compile(r"<p>(<li.+?)</p>", _A), "\\1"),
    (re.compile(r"<p><blockquote([^>]*)>", _A | re.IGNORECASE), "<blockquote\\1><p>"),
]
_P_BEFORE_BLOCK = re.compile(r"<p>\s*(</?" + _ALL_BLOCKS + r"[^>]*>)", _A)
_P_AFTER_BLOCK = re.compile(r"(</?" + _ALL_BLOCKS + r"[^>]*>)\s*</p>", _A)
_KEEP_NEWLINES = re.compile(r"<(script|style|svg).*?</\1>", re.DOTALL)
_NEWLINE = re.compile(r"(?<!<br />)\s*\n", _A)
_BR_AFTER_BLOCK = re.compile(r"(</?" + _ALL_BLOCKS + r"[^>]*>)\s*<br />", _A)
_BR_BEFORE_BLOCK = re.compile(r"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)", _A)
_LAST_NEWLINE = re.compile(r"\n</p>$")


def _apply(text: str, substitutions) -> str:
    for pattern, replacement in substitutions:
        text = pattern.sub(replacement, text)
    return text


def _newlines_in_tags(text: str) -> str:
    """Mark the line breaks inside tags and comments (wp_replace_in_html_tags)."""
    parts = _HTML_SPLIT.split(text)
    for index in range(1, len(parts), 2):
        parts[index] = parts[index].replace("\n", " <!-- wpnl --> ")
    return "".join(parts)


def wpautop(text: str, br: bool = True) -> str:
    """Return text with its paragraphs and line breaks made HTML, as WordPress's wpautop()."""
    if not text.strip(" \t\n\r\0\x0b"):
        return ""
    text += "\n"
    pre_tags: dict[str, str] = {}
    # <pre> is left as it is: set aside, and put back at the end.
    if "<pre" in text:
        *parts, last = text.split("</pre>")
        text = ""
        for part in parts:
            start = part.find("<pre")
            if start < 0:
                text += part
                continue
            name = f"<pre wp-pre-tag-{len(pre_tags)}></pre>"
            pre_tags[name] = part[start:] + "</pre>"
            text += part[:start] + name
        text += last
    text = _apply(text, _SUBS_BEFORE)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _newlines_in_tags(text)
    if "<option" in text:
        text = _apply(text, _OPTION)
    if "</object>" in text:
        text = _apply(text, _OBJECT)
    if "<source" in text or "<track" in text:
        text = _apply(text, _MEDIA)
    if "<figcaption" in text:
        text = _apply(text, _FIGCAPTION)
    text = re.sub(r"\n\n+", "\n\n", text)
    paragraphs = [p for p in _PARAGRAPH_SPLIT.split(text) if p]
    text = "".join("<p>" + p.strip("\n") + "</p>\n" for p in paragraphs)
    text = _apply(text, _SUBS_AFTER)
    text = text.replace("</blockquote></p>", "</p></blockquote>")
    text = _P_BEFORE_BLOCK.sub("\\1", text)
    text = _P_AFTER_BLOCK.sub("\\1", text)
    if br:
        text = _KEEP_NEWLINES.sub(lambda m: m.group(0).replace("\n", "<WPPreserveNewline />"), text)
        text = text.replace("<br>", "<br />").replace("<br/>", "<br />")
        text = _NEWLINE.sub("<br />\n", text)
        text = text.replace("<WPPreserveNewline />", "\n")
    text = _BR_AFTER_BLOCK.sub("\\1", text)
    text = _BR_BEFORE_BLOCK.sub("\\1", text)
    text = _LAST_NEWLINE.sub("</p>", text)
    for name, original in pre_tags.items():
        text = text.replace(name, original)
    if "<!-- wpnl -->" in text:
        text = text.replace(" <!-- wpnl --> ", "\n").replace("<!-- wpnl -->", "\n")
    return text
