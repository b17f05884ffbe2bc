"""The sanitizer against known attacks, with its output read back the way a browser reads it."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from blog.render import FORMATS, render_body
from blog.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, clean_html, is_safe_url, strip_tags

# Shared, read-only: 174 inputs collected from OWASP, bleach, DOMPurify and ammonia.
# A copy of ../shared/security/xss-corpus.json, so that a clean clone tests the same inputs.
CORPUS_PATH = Path(__file__).parent / "data" / "xss-corpus.json"
CORPUS = json.loads(CORPUS_PATH.read_text(encoding="utf-8"))

# Written out here rather than derived from blog.sanitize, so that a widened allowlist fails.
FORBIDDEN_TAGS = frozenset(
    """applet base bgsound body button comment embed form frame frameset head html iframe
    image input isindex link listing marquee math meta noembed noframes noscript object option
    param plaintext portal script select style svg template textarea title track
    xml xmp""".split()
)
# Players are allowed (issue 18): only with http(s) or site sources, always with controls.
PLAYERS = frozenset({"audio", "video", "source"})
FORBIDDEN_ATTRIBUTES = frozenset(
    """action background content data dynsrc formaction http-equiv lowsrc poster srcdoc srcset
    style xlink:href""".split()
)
URL_ATTRIBUTES = frozenset({"href", "src", "cite", "action"}) | FORBIDDEN_ATTRIBUTES
# The one element the sanitizer writes itself, attributes and all: the keyboard-reachable
# scroll region around a table or a code block.
SCROLL_REGIONS = frozenset(
    (("class", "scroll"), ("role", "region"), ("tabindex", "0"), ("aria-label", label))
    for label in ("Table", "Code")
)
SAFE_SCHEMES = frozenset({None, "http", "https", "mailto"})

# Everything the sanitizer may write: text with every "<" escaped, end tags, and start tags
# whose attribute values are double-quoted. A browser can read that only one way, which is what
# makes html.parser (not a spec-complete HTML parser) trustworthy on it.
_TOKEN = re.compile(
    r"""[^<]+
      | </[a-z][a-z0-9]*>
      | <[a-z][a-z0-9]*(?:\ [a-z][a-z-]*="[^"]*")*>
    """,
    re.VERBOSE,
)
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


class _Reader(HTMLParser):
    """Collect every element, attribute and markup declaration of a fragment."""

    def __init__(self, html: str) -> None:
        # convert_charrefs decodes attribute values with html.unescape: at least as much as a
        # browser decodes, and decoding more can only reveal a scheme, never hide one.
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.markup: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, attrs))

    def handle_comment(self, data):
        self.markup.append(f"comment {data!r}")

    def handle_decl(self, decl):
        self.markup.append(f"declaration {decl!r}")

    def unknown_decl(self, data):
        self.markup.append(f"declaration {data!r}")

    def handle_pi(self, data):
        self.markup.append(f"processing instruction {data!r}")


def browser_scheme(url: str) -> str | None:
    """Return the scheme a browser's URL parser finds in a decoded attribute value, if any."""
    url = re.sub(r"[\t\n\r]", "", url.strip(_C0_AND_SPACE))
    match = _SCHEME.match(url)
    return match.group()[:-1].lower() if match else None


def assert_harmless(out: str) -> None:
    assert "<!--" not in out, out
    assert "<![CDATA[" not in out, out
    position = 0
    while position < len(out):
        token = _TOKEN.match(out, position)
        assert token, f"ambiguous markup at {out[position : position + 60]!r} in {out!r}"
        position = token.end()
    reader = _Reader(out)
    assert reader.markup == [], out
    for tag, attrs in reader.elements:
        if tag == "div" and tuple(attrs) in SCROLL_REGIONS:
            continue
        assert tag in ALLOWED_TAGS, out
        assert tag not in FORBIDDEN_TAGS, out
        for name, value in attrs:
            assert not name.startswith("on"), out
            assert name not in FORBIDDEN_ATTRIBUTES, out
            assert name in ALLOWED_ATTRIBUTES.get(tag, ()), out
            if name in URL_ATTRIBUTES:
                assert browser_scheme(value or "") in SAFE_SCHEMES, out
            if tag in PLAYERS and name == "src":
                assert browser_scheme(value or "") in {None, "http", "https"}, out
        if tag in PLAYERS - {"source"}:
            assert ("controls", "") in attrs and "autoplay" not in dict(attrs), out


def url_attributes(out: str) -> list[tuple[str, str | None]]:
    """Return every (name, value) of a URL-bearing attribute in a fragment."""
    return [
        (name, value)
        for _, attrs in _Reader(out).elements
        for name, value in attrs
        if name in URL_ATTRIBUTES
    ]


def test_corpus_is_loaded():
    ids = [entry["id"] for entry in CORPUS]
    assert len(CORPUS) == 174
    assert len(set(ids)) == len(ids)
    assert all(isinstance(entry["input"], str) and entry["input"] for entry in CORPUS)


def test_allowlist_excludes_what_can_run_code():
    assert not ALLOWED_TAGS & FORBIDDEN_TAGS
    for names in ALLOWED_ATTRIBUTES.values():
        assert not {name for name in names if name.startswith("on")}
        assert not set(names) & FORBIDDEN_ATTRIBUTES


@pytest.mark.parametrize("body_format", FORMATS)
@pytest.mark.parametrize("entry", CORPUS, ids=[entry["id"] for entry in CORPUS])
def test_corpus_entry_is_harmless(entry, body_format):
    out = render_body(entry["input"], body_format)
    assert_harmless(out)
    assert clean_html(out) == out


def test_strip_tags_leaves_no_markup():
    for entry in CORPUS:
        assert "<" not in strip_tags(entry["input"]), entry["id"]


# Each one is a URL that a browser runs as script or opens as a document it did not check.
DANGEROUS_URLS = {
    "digits-only": "javascript:123",
    "mixed-case": "JaVaScRiPt:alert(1)",
    "tab-inside": "java\tscript:alert(1)",
    "newline-inside": "java\nscript:alert(1)",
    "cr-inside": "java\rscript:alert(1)",
    "leading-control": "\x01javascript:alert(1)",
    "leading-space": " javascript:alert(1)",
    "leading-controls-and-spaces": " \x0e \x1fjavascript:alert(1)",
    "decimal-reference": "&#106;avascript:alert(1)",
    "decimal-reference-digits": "&#106;avascript:123",
    "hex-newline-reference": "jav&#x0A;ascript:alert(1)",
    "hex-tab-reference-digits": "jav&#x09;ascript:123",
    "named-tab-reference": "java&Tab;script:123",
    "named-newline-reference": "java&NewLine;script:123",
    "leading-control-reference": "&#14;javascript:123",
    "references-without-semicolons": "&#x6A&#x61vascript:123",
    "named-colon": "javascript&colon;alert(1)",
    "decimal-colon-digits": "javascript&#58;123",
    "vbscript": "vbscript:msgbox(1)",
    "vbscript-named-colon": "VBScript&colon;msgbox(1)",
    "data-html": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data-image": "data:image/png;base64,iVBORw0KGgo=",
    "file": "file:///etc/passwd",
}
URL_PLACES = {
    "a-href": '<a href="{}">x</a>',
    "img-src": '<img src="{}" alt="x">',
    "q-cite": '<q cite="{}">x</q>',
    "blockquote-cite": '<blockquote cite="{}">x</blockquote>',
}


@pytest.mark.parametrize("place", URL_PLACES.values(), ids=URL_PLACES.keys())
@pytest.mark.parametrize("url", DANGEROUS_URLS.values(), ids=DANGEROUS_URLS.keys())
def test_dangerous_url_is_dropped(url, place):
    out = clean_html(place.format(url))
    assert_harmless(out)
    assert url_attributes(out) == []
    assert not is_safe_url(url)


@pytest.mark.parametrize(
    "source",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](&#106;avascript:123)",
        "[x](<java\tscript:123>)",
        "[x](javascript&colon;123)",
        "[x][evil]\n\n[evil]: javascript:alert(1)",
        "<javascript:alert(1)>",
        "<vbscript:msgbox(1)>",
        "![x](javascript:alert(1))",
        "![x](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
        '<a href="javascript:123">raw HTML inside Markdown</a>',
    ],
)
def test_markdown_dangerous_link_is_harmless(source):
    out = render_body(source, "markdown")
    assert_harmless(out)
    for _, value in url_attributes(out):
        assert browser_scheme(value or "") is None, out


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a?b=1&amp;c=2#d",
        "HTTP://EXAMPLE.COM/",
        "mailto:editor@example.com",
        "/posts/hello/",
        "../up",
        "page.html",
        "#section",
        "?page=2",
        "",
        # Scheme-relative: the browser takes the page's own scheme, http or https, so this is
        # no different from https://evil.example, which any link may point at anyway.
        "//evil.example/",
        # Still relative: only ASCII letters start a scheme.
        "ｊａｖａｓｃｒｉｐｔ:alert(1)",
    ],
)
def test_safe_url_is_kept(url):
    assert is_safe_url(url)
    out = clean_html(f'<a href="{url}">x</a>')
    assert_harmless(out)
    assert out == f'<a href="{url}">x</a>'


MARKDOWN_SAMPLE = """\
## Second
### Third
#### Fourth
##### Fifth
###### Sixth

A [secure link](https://example.com/page?a=1&b=2), a [letter](mailto:editor@example.com),
a [relative one](/posts/hello/), an autolink <https://example.org/> and <editor@example.com>.

![A cat on a mat](/media/cat.jpg "Cat")

| a | b |
|---|---|
| 1 | 2 |

```python
print("<b>hi</b>")
```

> Quoted wisdom.

- one
- two

3. three
4. four
"""


def test_markdown_content_survives():
    out = render_body(MARKDOWN_SAMPLE, "markdown")
    assert_harmless(out)
    assert clean_html(out) == out
    for level, text in enumerate(["Second", "Third", "Fourth", "Fifth", "Sixth"], start=2):
        # Each heading has an id to link to, and a link to itself (blog/render.py).
        slug = text.lower()
        link = f'<a class="header-anchor" href="#{slug}" aria-label="Link to “{text}”"></a>'
        assert f'<h{level} id="{slug}">{text}{link}</h{level}>' in out
    assert '<a href="https://example.com/page?a=1&amp;b=2">secure link</a>' in out
    assert '<a href="mailto:editor@example.com">letter</a>' in out
    assert '<a href="/posts/hello/">relative one</a>' in out
    assert '<a href="https://example.org/">https://example.org/</a>' in out
    assert '<a href="mailto:editor@example.com">editor@example.com</a>' in out
    assert '<img src="/media/cat.jpg" alt="A cat on a mat" title="Cat">' in out
    # A table without line breaks inside it (html5lib works twice as hard on them), in its
    # scroll region.
    assert region("Table") + "<table><thead><tr><th>a</th><th>b</th>" in out
    assert "<tbody><tr><td>1</td><td>2</td>" in out
    code = '<pre><code class="language-python">print(&quot;&lt;b&gt;hi&lt;/b&gt;&quot;)\n</code>'
    assert code in out
    assert "<blockquote>\n<p>Quoted wisdom.</p>\n</blockquote>" in out
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in out
    assert '<ol start="3">\n<li>three</li>\n<li>four</li>\n</ol>' in out


HTML_SAMPLE = """\
<h2>Second</h2><h3>Third</h3><h4>Fourth</h4><h5>Fifth</h5><h6>Sixth</h6>
<p>A <a href="https://example.com/" title="Example">link</a>, a \
<a href="mailto:editor@example.com">letter</a>, a <a href="/posts/hello/">relative one</a>, \
<abbr title="HyperText">HTML</abbr>, <time datetime="2026-01-02">2 Jan</time>.</p>
<img src="https://example.com/cat.jpg" alt="A cat" width="640" height="480">
<table><thead><tr><th scope="col">a</th></tr></thead>\
<tbody><tr><td colspan="2" align="right">1</td></tr></tbody></table>
<pre><code class="language-python">print("hi")</code></pre>
<blockquote cite="https://example.com/source"><p>Quoted.</p></blockquote>
<q cite="/quotes/1">Short quote</q>
<ul><li>one</li></ul><ol start="3" reversed=""><li>three</li></ol>
<details><summary>More</summary><p>Hidden.</p></details>"""


def region(label: str) -> str:
    return f'<div class="scroll" role="region" tabindex="0" aria-label="{label}">'


def test_html_content_survives_unchanged():
    out = render_body(HTML_SAMPLE, "html")
    assert_harmless(out)
    # Unchanged but for the scroll region around the table and around the code block.
    expected = (
        HTML_SAMPLE.replace("<table>", region("Table") + "<table>")
        .replace("</table>", "</table></div>")
        .replace("<pre>", region("Code") + "<pre>")
        .replace("</pre>", "</pre></div>")
    )
    assert out == expected
    assert clean_html(out) == out


def test_code_class_must_be_a_language():
    assert clean_html('<code class="language-python">x</code>') == (
        '<code class="language-python">x</code>'
    )
    for value in ["x language-python", "language-python\n", "language-", "highlight"]:
        assert clean_html(f'<code class="{value}">x</code>') == "<code>x</code>"


def test_quotes_and_references_in_attributes_survive_twice():
    # html5lib single-quotes a value holding '"', and bleach then escaped its "&" once more.
    out = clean_html("""<img alt='"Tom" &amp; Jerry' title='a "b" &lt;c&gt;'>""")
    assert out == '<img alt="&quot;Tom&quot; &amp; Jerry" title="a &quot;b&quot; &lt;c&gt;">'
    assert clean_html(out) == out


def test_comments_are_stripped():
    out = clean_html("<p>a<!-- secret --></p><!--[if IE]><p>b</p><![endif]-->")
    assert out == "<p>a</p>"


@pytest.mark.parametrize(
    "source, expected",
    [
        (
            '<video src="https://x.example/a.mp4" autoplay onplay="alert(1)" poster="https://p">'
            "fallback <b>alert</b></video>",
            '<video src="https://x.example/a.mp4" controls="" preload="none"></video>',
        ),
        (
            '<audio><source src="javascript:alert(1)"><source src="/media/a.mp3" type="audio/mpeg">'
            "<p>alert</p></audio>",
            '<audio controls="" preload="none"><source>'
            '<source src="/media/a.mp3" type="audio/mpeg"></audio>',
        ),
        (
            '<audio src="data:audio/mp3;base64,AAAA">alert</audio>',
            '<audio controls="" preload="none"></audio>',
        ),
        ('<video src="mailto:a@b.example"></video>', '<video controls="" preload="none"></video>'),
        (
            "<p>a<video><video>alert</video></video>b</p>",
            '<p>a<video controls="" preload="none"><video controls="" preload="none"></video>'
            "</video>b</p>",
        ),
    ],
)
def test_players_keep_only_safe_sources_and_always_show_controls(source, expected):
    out = clean_html(source)
    assert out == expected
    assert_harmless(out)
    assert clean_html(out) == out
