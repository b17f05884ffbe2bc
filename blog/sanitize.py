"""The one place that knows which HTML sanitizer runs: bleach, with explicit allowlists."""

import re
import time
from html import unescape

import bleach
from bleach import html5lib_shim

# html5lib as bleach vendors it: the parser that bleach cleans with, and its tables.
_html5lib = html5lib_shim.constants
_HTML = _html5lib.namespaces["html"]

ALLOWED_TAGS = frozenset(
    """a abbr audio b blockquote br caption cite code dd del details dfn div dl dt em figcaption
    figure h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q s samp small source span strong
    sub summary sup table tbody td tfoot th thead time tr u ul video""".split()
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
    # Players with the browser's own controls (added to each), never autoplay; their files
    # come from http(s) or the site (MEDIA_URL_ATTRIBUTES).
    "audio": ["src", "controls", "loop", "preload"],
    "video": ["src", "controls", "loop", "preload", "width", "height", "playsinline"],
    "source": ["src", "type"],
}
# Players hold only their sources: any other content is the fallback for browsers that cannot
# play, which a reader never sees, and it goes whole like the hidden elements' contents.
MEDIA_TAGS = frozenset({"audio", "video"})
MEDIA_CHILDREN = frozenset({"source"})
MEDIA_SCHEMES = frozenset({"http", "https"})
# Elements whose contents a reader never sees as text (code, styles, embeds, and fallbacks
# for browsers that cannot run or play them): they go whole, not only their tags, or
# "<script>alert(1)</script>" would leave "alert(1)" on the page.
DROPPED_WITH_CONTENTS = frozenset(
    """applet canvas embed iframe noembed noframes noscript object script style template
    title""".split()
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


def is_safe_media_url(value: str) -> bool:
    """Tell whether a player's source is http, https or on the site (relative)."""
    if not is_safe_url(value):
        return False
    url = _LEADING_JUNK.sub("", _STRIP_EVERYWHERE.sub("", unescape(value)))
    match = _SCHEME.match(url)
    return match is None or match.group(1).lower() in MEDIA_SCHEMES


def _allow_attribute(tag: str, name: str, value: str) -> bool:
    if name not in ALLOWED_ATTRIBUTES.get(tag, ()):
        return False
    if name == "src" and (tag in MEDIA_TAGS or tag in MEDIA_CHILDREN):
        return is_safe_media_url(value)
    if name in URL_ATTRIBUTES:
        return is_safe_url(value)
    if name == "class":
        return bool(_CODE_CLASS.fullmatch(value))
    return True


_TAG_TOKENS = frozenset({"StartTag", "EmptyTag", "EndTag"})


def _dropping_contents(walker, dropped: frozenset[str]):
    """Wrap an html5lib tree walker to leave out the dropped elements and all inside them."""

    def walk(dom):
        depth = 0  # how deep inside a dropped element the walk is
        player = 0  # how deep inside a player's fallback content (1: in the player itself)
        for token in walker(dom):
            kind = token["type"]
            if depth or (kind in _TAG_TOKENS and token["name"] in dropped):
                if kind == "StartTag":
                    depth += 1
                elif kind == "EndTag":
                    depth = max(depth - 1, 0)
                continue
            if player:
                if kind == "EmptyTag" and player == 1 and token["name"] in MEDIA_CHILDREN:
                    yield token
                elif kind == "StartTag":
                    player += 1
                elif kind == "EndTag":
                    player -= 1
                    if not player:
                        yield token
                continue
            if kind == "StartTag" and token["name"] in MEDIA_TAGS:
                player = 1
                # The browser's controls, always: a player without them cannot be started.
                token["data"] = {**token["data"], (None, "controls"): "controls"}
            yield token

    return walk


def _dropping_hidden_elements(
    cleaner: bleach.Cleaner, dropped: frozenset[str] = DROPPED_WITH_CONTENTS
) -> bleach.Cleaner:
    # bleach's tokenizer turns a tag outside the allowlist into text before the tree is built,
    # so a script's code would become a paragraph's text. Letting these tags into the tree
    # parses them as a browser does (the code stays inside its script), and the walker then
    # skips them whole. The sanitizer still applies the allowlist to what is left.
    cleaner.parser.tags = cleaner.parser.tags | dropped
    cleaner.walker = _dropping_contents(cleaner.walker, dropped)
    return cleaner


# --- Bounds: a body costs time in proportion to its size, or is refused -----------------------

# Deeper than this, start tags are left out (their text stays): a browser shows nothing
# useful 100 levels down, and html5lib's work per tag grows with the depth.
MAX_DEPTH = 100
# A body with more elements than this, or that takes longer than this to clean, is refused.
# A 10-column Markdown table of 5,000 rows has 55,000; the limits stop a crafted body long
# before gunicorn's 30 s timeout would kill the worker.
MAX_ELEMENTS = 150_000
MAX_SECONDS = 8.0


class BodyTooComplex(ValueError):
    """The body has too many elements, or takes too long to clean: it is refused, not cut."""


_START_TAG = html5lib_shim.TAG_TOKEN_TYPE_START
_CHARACTERS = html5lib_shim.TAG_TOKEN_TYPE_CHARACTERS
_SPACE_CHARACTERS = _html5lib.tokenTypes["SpaceCharacters"]
_PARSE_ERROR = _html5lib.tokenTypes["ParseError"]
# Start tags kept at any depth: void ones never nest, and the others switch the tokenizer to
# raw text (leaving them out would read a script's code as markup).
_KEPT_WHEN_DEEP = (
    _html5lib.voidElements | _html5lib.cdataElements | _html5lib.rcdataElements | {"plaintext"}
)


class _BoundedTokenizer(html5lib_shim.BleachHTMLTokenizer):
    """bleach's tokenizer, linear in the size of the text, with a bound on depth and work."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # html5lib runs a regex over every chunk of input only to count invalid code points
        # as parse errors, which nothing reads (bleach looks only at errors inside tags):
        # 0.1 s a megabyte.
        self.stream._inner_stream.reportCharacterErrors = None

    def dataState(self):
        # html5lib's data state, with "&" read as text: bleach keeps character references as
        # typed, and html5lib's own reading of one ("&" as a token of its own) had each
        # appended to the text node so far, copying it: "&amp;" x 200,000 took minutes.
        data = self.stream.char()
        if data == "<":
            self.state = self.tagOpenState
        elif data == "\u0000":
            self.tokenQueue.append({"type": _PARSE_ERROR, "data": "invalid-codepoint"})
            self.tokenQueue.append({"type": _CHARACTERS, "data": "\u0000"})
        elif data is None:  # the end of the input
            return False
        elif data in _html5lib.spaceCharacters:
            spaces = data + self.stream.charsUntil(_html5lib.spaceCharacters, True)
            self.tokenQueue.append({"type": _SPACE_CHARACTERS, "data": spaces})
        else:
            chars = data + self.stream.charsUntil(("<", "\u0000"))
            self.tokenQueue.append({"type": _CHARACTERS, "data": chars})
        return True

    def __iter__(self):
        started = time.thread_time()
        elements = 0
        for count, token in enumerate(super().__iter__()):
            if token["type"] == _START_TAG:
                elements += 1
                if elements > MAX_ELEMENTS:
                    raise BodyTooComplex(f"more than {MAX_ELEMENTS:,} elements")
                if (
                    len(self.parser.tree.openElements) > MAX_DEPTH
                    and token["name"] not in _KEPT_WHEN_DEEP
                ):
                    continue  # flattened: the tag goes, what it holds stays
            if not count % 128 and time.thread_time() - started > MAX_SECONDS:
                raise BodyTooComplex(f"more than {MAX_SECONDS:.0f} s to clean")
            yield token


class _BoundedParser(html5lib_shim.BleachHTMLParser):
    def _parse(self, stream, innerHTML=False, container="div", scripting=True, **kwargs):
        # bleach's own _parse, with the tokenizer above.
        self.innerHTMLMode = innerHTML
        self.container = container
        self.scripting = scripting
        self.tokenizer = _BoundedTokenizer(
            stream=stream, consume_entities=self.consume_entities, parser=self, **kwargs
        )
        self.reset()
        try:
            self.mainLoop()
        except html5lib_shim.ReparseException:
            self.reset()
            self.mainLoop()


_NAMESPACED = re.compile(r"{(.*)}(.*)")  # how html5lib's etree spells a namespaced name
_SPACES = "".join(_html5lib.spaceCharacters)


def _split(name: str) -> tuple[str | None, str]:
    match = _NAMESPACED.match(name)
    return (match.group(1), match.group(2)) if match else (None, name)


def _text(data: str):
    # As html5lib's TreeWalker.text: spaces at either end are tokens of their own.
    middle = data.lstrip(_SPACES)
    if left := data[: len(data) - len(middle)]:
        yield {"type": "SpaceCharacters", "data": left}
    data = middle
    middle = data.rstrip(_SPACES)
    if middle:
        yield {"type": "Characters", "data": middle}
    if right := data[len(middle) :]:
        yield {"type": "SpaceCharacters", "data": right}


class _LinearWalker:
    """The tokens of html5lib's etree tree walker, in time linear in the size of the tree.

    Going back up, the stock walker finds each parent's place among its siblings with
    list(grandparent).index(): a table of 5,000 rows, or a body of thousands of paragraphs,
    was walked in quadratic time, and each element was looked at twice.
    """

    def __init__(self, tree):
        self.tree = tree

    def __iter__(self):
        root = self.tree
        if root.text:
            yield from _text(root.text)
        stack = [[root, 0, None, None]]  # element, next child, namespace, name
        while stack:
            frame = stack[-1]
            parent, index = frame[0], frame[1]
            if index == len(parent):
                stack.pop()
                if stack:
                    yield {"type": "EndTag", "name": frame[3], "namespace": frame[2]}
                    if parent.tail:
                        yield from _text(parent.tail)
                continue
            frame[1] = index + 1
            node = parent[index]
            if not isinstance(node.tag, str):  # a comment: its tag is ElementTree.Comment
                yield {"type": "Comment", "data": node.text}
            else:
                namespace, name = _split(node.tag)
                attributes = {_split(key): value for key, value in node.attrib.items()}
                if (not namespace or namespace == _HTML) and name in _html5lib.voidElements:
                    yield {"type": "EmptyTag", "name": name, "namespace": namespace,
                           "data": attributes}  # fmt: skip
                    if len(node) or node.text:
                        yield {"type": "SerializeError", "data": "Void element has children"}
                else:
                    yield {"type": "StartTag", "name": name, "namespace": namespace,
                           "data": attributes}  # fmt: skip
                    if node.text:
                        yield from _text(node.text)
                    stack.append([node, 0, namespace, name])
                    continue
            if node.tail:
                yield from _text(node.tail)


# --- Scroll regions: a wide table or code block reachable by keyboard ------------------------

# What the sanitizer puts around each table and pre (outside another one): a region that can
# be focused and scrolled with the arrow keys, named for a screen reader. Added after the
# allowlist, so no editor can give tabindex or role to anything.
SCROLL_LABELS = {"table": "Table", "pre": "Code"}


def _scroll_attributes(label: str) -> dict:
    return {
        (None, "class"): "scroll",
        (None, "role"): "region",
        (None, "tabindex"): "0",
        (None, "aria-label"): label,
    }


_SCROLL_KEYS = frozenset(_scroll_attributes("").keys())


def _unwrap_scroll_regions(dom) -> None:
    """Take out the regions a previous clean added, so that cleaning twice changes nothing."""
    for parent in dom.iter():
        for index, child in enumerate(parent):
            if (
                child.tag == "div"
                and len(child) == 1
                and not child.text
                and child[0].tag in SCROLL_LABELS
                and not child[0].tail
                and child.attrib.keys() == {key for _, key in _SCROLL_KEYS}
                and child.get("class") == "scroll"
            ):
                inner = child[0]
                inner.tail = child.tail
                parent[index] = inner


def _walking_with_scroll_regions(walker):
    """Wrap a tree walker to unwrap the regions of stored HTML before it walks."""

    def walk(dom):
        _unwrap_scroll_regions(dom)
        return walker(dom)

    return walk


def _adding_scroll_regions(source):
    """Put each outermost table and pre of the sanitized stream in a scroll region."""
    inside = None  # the element a region is open for
    depth = 0
    for token in source:
        kind = token["type"]
        if inside is None:
            if kind == "StartTag" and token["name"] in SCROLL_LABELS:
                inside, depth = token["name"], 1
                label = SCROLL_LABELS[inside]
                yield {"type": "StartTag", "name": "div", "namespace": None,
                       "data": _scroll_attributes(label)}  # fmt: skip
            yield token
            continue
        yield token
        if kind in ("StartTag", "EndTag") and token["name"] == inside:
            depth += 1 if kind == "StartTag" else -1
            if not depth:
                yield {"type": "EndTag", "name": "div", "namespace": None}
                inside = None


# --- The cleaners ---------------------------------------------------------------------------


def _bounded(cleaner: bleach.Cleaner) -> bleach.Cleaner:
    cleaner.parser = _BoundedParser(
        tags=cleaner.tags,
        strip=cleaner.strip,
        consume_entities=False,
        namespaceHTMLElements=False,
    )
    cleaner.walker = _LinearWalker
    return cleaner


_cleaner = _dropping_hidden_elements(
    _bounded(
        bleach.Cleaner(
            tags=ALLOWED_TAGS,
            attributes=_allow_attribute,
            protocols=ALLOWED_SCHEMES,
            strip=True,
            strip_comments=True,
            filters=[_adding_scroll_regions],
        )
    )
)
_cleaner.walker = _walking_with_scroll_regions(_cleaner.walker)
# bleach undoes html5lib's "&" -> "&amp;" only in double-quoted values, yet html5lib picks
# single quotes for a value holding '"': <img alt='"Tom" &amp; Jerry'> came out as &amp;amp;.
# Always double quotes (a '"' becomes &quot;) keeps references intact and cleaning idempotent.
_cleaner.serializer.use_best_quote_char = False
# And every attribute with its value, the players' controls="controls" too: one form to read.
_cleaner.serializer.minimize_boolean_attributes = False

# A player's text is its fallback: no text of a page.
_text_cleaner = _dropping_hidden_elements(
    _bounded(bleach.Cleaner(tags=frozenset(), attributes={}, strip=True, strip_comments=True)),
    DROPPED_WITH_CONTENTS | MEDIA_TAGS,
)


def clean_html(html: str) -> str:
    """Return editor HTML reduced to the allowlist: the only HTML a reader ever receives.

    One html5lib parse, in time linear in the size of the HTML. Raises BodyTooComplex for
    HTML with more than MAX_ELEMENTS elements or that takes more than MAX_SECONDS.
    """
    return _cleaner.clean(html)


def strip_tags(html: str) -> str:
    """Return the text of an HTML fragment, tags and comments removed (entities kept escaped)."""
    return _text_cleaner.clean(html)
