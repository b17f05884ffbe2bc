"""The one place that knows which HTML sanitizer runs: bleach, with explicit allowlists."""

import re
from html import unescape

import bleach

ALLOWED_TAGS = frozenset(
    """a abbr b blockquote br caption cite code dd del details dfn div dl dt em figcaption figure
    h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q s samp small span strong sub summary sup
    table tbody td tfoot th thead time tr u ul""".split()
)
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title"],
    "abbr": ["title"],
    "img": ["src", "alt", "title", "width", "height"],
    "ol": ["start", "reversed"],
    "td": ["colspan", "rowspan", "align"],
    "th": ["colspan", "rowspan", "align", "scope"],
    "time": ["datetime"],
    "code": ["class"],
    "q": ["cite"],
    "blockquote": ["cite"],
}
# Elements whose contents a reader never sees as text (code, styles, embeds, and fallbacks
# for browsers that cannot run or play them): they go whole, not only their tags, or
# "<script>alert(1)</script>" would leave "alert(1)" on the page.
DROPPED_WITH_CONTENTS = frozenset(
    """applet audio canvas embed iframe noembed noframes noscript object script style template
    title video""".split()
)
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
URL_ATTRIBUTES = frozenset({"href", "src", "cite"})

# What a browser's URL parser drops before it looks for a scheme.
_STRIP_EVERYWHERE = re.compile(r"[\t\n\r]")
_LEADING_JUNK = re.compile(r"^[\x00-\x20]+")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_CODE_CLASS = re.compile(r"language-[\w+-]{1,40}")


def is_safe_url(value: str) -> bool:
    """Tell whether a browser would resolve this URL to http, https, mailto or a relative one.

    The value is read as an HTML attribute value, character references and all. bleach alone
    lets ``javascript:123`` through (it reads it as host:port), so the scheme is found the way
    the WHATWG URL parser finds it: after removing tabs and newlines anywhere and control
    characters and spaces in front.
    """
    # bleach hands attribute values over with character references still in them, and the
    # browser decodes them before the URL parser runs: "&#106;avascript:123" is javascript:.
    # Decoding more than a browser would never hides a scheme: an undecoded reference leaves
    # an "&" in front of any colon, and "&" ends a scheme.
    url = unescape(value)
    url = _LEADING_JUNK.sub("", _STRIP_EVERYWHERE.sub("", url))
    match = _SCHEME.match(url)
    if match is None:
        # No scheme: relative. "//host" stays within http(s); "\\host" is read as "//host".
        return True
    return match.group(1).lower() in ALLOWED_SCHEMES


def _allow_attribute(tag: str, name: str, value: str) -> bool:
    if name not in ALLOWED_ATTRIBUTES.get(tag, ()):
        return False
    if name in URL_ATTRIBUTES:
        return is_safe_url(value)
    if name == "class":
        return bool(_CODE_CLASS.fullmatch(value))
    return True


_TAG_TOKENS = frozenset({"StartTag", "EmptyTag", "EndTag"})


def _dropping_contents(walker):
    """Wrap an html5lib tree walker to leave out the dropped elements and all inside them."""

    def walk(dom):
        depth = 0  # how deep inside a dropped element the walk is
        for token in walker(dom):
            kind = token["type"]
            if depth or (kind in _TAG_TOKENS and token["name"] in DROPPED_WITH_CONTENTS):
                if kind == "StartTag":
                    depth += 1
                elif kind == "EndTag":
                    depth = max(depth - 1, 0)
                continue
            yield token

    return walk


def _dropping_hidden_elements(cleaner: bleach.Cleaner) -> bleach.Cleaner:
    # bleach's tokenizer turns a tag outside the allowlist into text before the tree is built,
    # so a script's code would become a paragraph's text. Letting these tags into the tree
    # parses them as a browser does (the code stays inside its script), and the walker then
    # skips them whole. The sanitizer still applies the allowlist to what is left.
    cleaner.parser.tags = cleaner.parser.tags | DROPPED_WITH_CONTENTS
    cleaner.walker = _dropping_contents(cleaner.walker)
    return cleaner


_cleaner = _dropping_hidden_elements(
    bleach.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=_allow_attribute,
        protocols=ALLOWED_SCHEMES,
        strip=True,
        strip_comments=True,
    )
)
# bleach undoes html5lib's "&" -> "&amp;" only in double-quoted values, yet html5lib picks
# single quotes for a value holding '"': <img alt='"Tom" &amp; Jerry'> came out as &amp;amp;.
# Always double quotes (a '"' becomes &quot;) keeps references intact and cleaning idempotent.
_cleaner.serializer.use_best_quote_char = False

_text_cleaner = _dropping_hidden_elements(
    bleach.Cleaner(tags=frozenset(), attributes={}, strip=True, strip_comments=True)
)


def clean_html(html: str) -> str:
    """Return editor HTML reduced to the allowlist: the only HTML a reader ever receives."""
    return _cleaner.clean(html)


def strip_tags(html: str) -> str:
    """Return the text of an HTML fragment, tags and comments removed (entities kept escaped)."""
    return _text_cleaner.clean(html)
