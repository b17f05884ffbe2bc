"""Every XSS corpus entry, and variants of our own, through every way text reaches a page.

Each payload goes in through the editor's own forms, signed in with real CSRF tokens, into
every field that readers or the editor later see: post title, slug, body (Markdown and HTML),
excerpt (typed and derived), tags, SEO title and description, image alt text and file name,
category name and description, tag name, display name and bio, site title and tagline, and
the search boxes. Every page that shows it, public and editor, feeds included, is then read
back with html.parser: nothing from a payload may have become live.
"""

import html
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from blog.body_images import BODY_SIZES
from blog.extensions import db
from blog.models import Category, Post, Revision, Tag, User, post_tags
from blog.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from tests.test_sanitize import SCROLL_REGIONS

CORPUS_PATH = Path(__file__).parent / "data" / "xss-corpus.json"
CORPUS = json.loads(CORPUS_PATH.read_text(encoding="utf-8"))

# Aimed at the places the corpus (written for HTML sanitizers) does not reach: attribute
# values, <title>, <textarea>, JSON-LD, feeds, Markdown's own link syntax, the template engine.
OWN_VARIANTS = [
    {"id": "own-attr-dq-breakout", "input": '"><svg onload=alert(1)>'},
    {"id": "own-attr-sq-breakout", "input": "'><img src=x onerror=alert(1)>"},
    {"id": "own-attr-unquoted", "input": "x onmouseover=alert(1) y=<b"},
    {"id": "own-title-breakout", "input": "</title><script>alert(1)</script>"},
    {"id": "own-textarea-breakout", "input": "</textarea><script>alert(1)</script>"},
    {"id": "own-json-ld-breakout", "input": '</script><script>alert(1)</script>"}'},
    {"id": "own-json-ld-comment", "input": "<!--<script>alert(1)</script>-->\u2028\u2029"},
    {"id": "own-xml-cdata", "input": "]]></content><script>alert(1)</script><![CDATA["},
    {"id": "own-xml-entity", "input": '<!DOCTYPE x [<!ENTITY e "&lt;script&gt;">]>&e;'},
    {"id": "own-template-injection", "input": "{{ config.SECRET_KEY }}{% print 7*7 %}${7*7}"},
    {"id": "own-md-link-js", "input": "[click](javascript:alert(1))"},
    {"id": "own-md-image-js", "input": "![x](javascript:alert(1))"},
    {"id": "own-md-reference-js", "input": "[a][r]\n\n[r]: javascript:alert(1)"},
    {"id": "own-md-autolink-js", "input": "<javascript:alert(1)>"},
    {"id": "own-md-link-entity", "input": "[a](&#106;avascript:alert(1))"},
    {"id": "own-md-link-angle", "input": "[a](<java\tscript:alert(1)>)"},
    {"id": "own-md-link-title", "input": '[a](https://x.test "\\" onmouseover=alert(1) x=")'},
    {"id": "own-md-fence-class", "input": '```" onmouseover="alert(1)\ncode\n```'},
    {"id": "own-md-html-block", "input": "<div\nonclick=alert(1)>\n\n*x*\n\n</div>"},
    {"id": "own-tags-commas", "input": "<img src=x onerror=alert(1)>, <svg/onload=alert(2)>,"},
    {"id": "own-rtl-controls", "input": "\u202e<script>alert(1)</script>\u202d\u200f"},
    {"id": "own-control-chars", "input": "<scr\x00ipt>alert(1)</scr\x00ipt>\x01\x0b\x1f"},
    {"id": "own-fullwidth-lt", "input": "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e"},
    {"id": "own-data-url-html", "input": '<a href="data:text/html,<script>alert(1)</script>">x'},
]
ENTRIES = CORPUS + OWN_VARIANTS
# Entries per test: each test plants its batch in a fresh database, so pages stay small.
BATCH = 25
BATCHES = [ENTRIES[i : i + BATCH] for i in range(0, len(ENTRIES), BATCH)]

# Never on any page of ours, whatever its attributes.
DEAD_TAGS = frozenset(
    """applet base basefont bgsound embed frame frameset iframe image isindex keygen
    listing marquee math noembed noframes noscript object param plaintext portal style
    svg template track xml xmp""".split()
)
# Attributes no page of ours writes; each one can run code or fetch something.
DEAD_ATTRIBUTES = frozenset(
    "background data dynsrc http-equiv lowsrc poster srcdoc style xlink:href".split()
)
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "cite", "ping"})
SAFE_SCHEMES = frozenset({None, "http", "https", "mailto"})
SITE_LINK_RELS = frozenset({"stylesheet", "alternate", "icon", "canonical", "preload"})
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
SECRET = "test-secret"  # tests/conftest.py's SECRET_KEY: no page may ever show it


def browser_scheme(url: str) -> str | None:
    """Return the scheme a browser's URL parser finds in a decoded attribute value, if any."""
    url = re.sub(r"[\t\n\r]", "", url.strip(_C0_AND_SPACE))
    match = _SCHEME.match(url)
    return match.group()[:-1].lower() if match else None


class PageReader(HTMLParser):
    """Read a page as a browser builds it, and list every way in which it could run code."""

    def __init__(self, fragment: bool = False) -> None:
        # convert_charrefs decodes attribute values with html.unescape, as a browser does.
        super().__init__(convert_charrefs=True)
        self.fragment = fragment  # post HTML on its own, as in a feed
        self.problems: list[str] = []
        self.in_head = False
        self.prose_depth = 1 if fragment else 0  # inside <div class="prose">: sanitized HTML
        self.form_depth = 0
        self.forms: list[str] = []
        self.script: dict | None = None
        self.json_ld: list[str] = []
        self.declarations = 0
        self.csrf_token = ""

    def fail(self, message: str) -> None:
        self.problems.append(message)

    def handle_starttag(self, tag, attrs):
        self._element(tag, attrs)
        if tag == "div" and self.prose_depth:
            self.prose_depth += 1
        elif tag == "div" and ("class", "prose") in attrs:
            self.prose_depth = 1
        elif tag == "form":
            self.form_depth += 1
        elif tag == "head":
            self.in_head = True
        elif tag == "script":
            self.script = {"attrs": dict(attrs), "text": ""}

    def handle_startendtag(self, tag, attrs):
        self._element(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "div" and self.prose_depth and not self.fragment:
            self.prose_depth -= 1
        elif tag == "form":
            self.form_depth = max(0, self.form_depth - 1)
        elif tag == "head":
            self.in_head = False
        elif tag == "script" and self.script is not None:
            if self.script["attrs"].get("type") == "application/ld+json":
                self.json_ld.append(self.script["text"])
            self.script = None

    def handle_data(self, data):
        if self.script is not None:
            self.script["text"] += data

    def handle_comment(self, data):
        self.fail(f"comment <!--{data[:80]}-->")

    def handle_decl(self, decl):
        self.declarations += 1
        if self.fragment or decl.lower() != "doctype html" or self.declarations > 1:
            self.fail(f"declaration <!{decl[:80]}>")

    def unknown_decl(self, data):
        self.fail(f"declaration <![{data[:80]}")

    def handle_pi(self, data):
        self.fail(f"processing instruction <?{data[:80]}")

    def _element(self, tag, attrs):
        where = f"<{tag} {attrs!r}>"[:300]
        names = {name for name, _ in attrs}
        values = dict(attrs)
        if tag in DEAD_TAGS:
            self.fail(f"dead tag {where}")
        for name, value in attrs:
            if name.startswith("on"):
                self.fail(f"event handler {where}")
            if name in DEAD_ATTRIBUTES:
                self.fail(f"attribute {name} {where}")
            if name in URL_ATTRIBUTES and browser_scheme(value or "") not in SAFE_SCHEMES:
                self.fail(f"{browser_scheme(value or '')}: URL {where}")
            if name in ("srcset", "imagesrcset"):
                for candidate in (value or "").split(","):
                    if browser_scheme(candidate) not in SAFE_SCHEMES:
                        self.fail(f"srcset URL {where}")
        if self.prose_depth:
            if tag == "div" and tuple(attrs) in SCROLL_REGIONS:
                return  # the sanitizer's own scroll region, exactly
            if tag not in ALLOWED_TAGS:
                self.fail(f"tag outside the allowlist in post HTML {where}")
            if tag in ("video", "audio") and (
                "controls" not in names or values.get("preload") != "none"
            ):
                self.fail(f"media that plays or loads by itself {where}")
            if tag == "img":
                # What blog/body_images.py adds when the page is shown, with these values only
                # (srcset's URLs are checked above).
                shown = {"sizes": BODY_SIZES, "loading": "lazy", "decoding": "async"}
                for name, value in shown.items():
                    if name in values and values[name] != value:
                        self.fail(f"{name} not as body_images writes it {where}")
                names = names - {*shown, "srcset"}
            if names - set(ALLOWED_ATTRIBUTES.get(tag, ())):
                self.fail(f"attribute outside the allowlist in post HTML {where}")
        elif tag == "script":
            own = values.get("src", "").startswith("/static/") and names <= {"src", "defer"}
            data = values.get("type") == "application/ld+json" and names == {"type"}
            if not (own or (data and self.in_head)):
                self.fail(f"script {where}")
        elif tag == "meta":
            if not self.in_head or names - {"charset", "name", "property", "content"}:
                self.fail(f"meta {where}")
        elif tag == "link":
            href = values.get("href") or ""
            local = href.startswith("/") and not href.startswith("//")
            rel = values.get("rel")
            if not self.in_head or rel not in SITE_LINK_RELS or not (local or rel == "canonical"):
                self.fail(f"link {where}")
        elif tag == "input" and values.get("name") == "csrf_token":
            self.csrf_token = values.get("value") or ""
        elif tag == "form":
            self.forms.append(values.get("action") or "")
            if self.form_depth:
                self.fail(f"nested form {where}")


def read_page(text: str, fragment: bool = False) -> PageReader:
    """Read a page (or a fragment of post HTML) and return what was found in it."""
    reader = PageReader(fragment)
    reader.feed(text)
    reader.close()
    for data in reader.json_ld:
        # A payload that ended the data block early would leave JSON that does not parse.
        try:
            json.loads(data)
        except ValueError:
            reader.fail(f"JSON-LD that is not JSON: {data[:200]!r}")
    if len(reader.json_ld) > 1:
        reader.fail(f"{len(reader.json_ld)} JSON-LD blocks")
    return reader


WORDPRESS_CATCH_ALL = {"public.wordpress.post_name", "public.wordpress.custom_permalink"}


def form_action_problem(app, action: str) -> str | None:
    """Tell what is wrong with a form's action: ours all post to one of the site's routes."""
    parts = urlsplit(action)
    if not action.startswith("/") or action.startswith("//") or parts.netloc:
        return f"form posting to {action!r}"
    adapter = app.url_map.bind("localhost")
    for method in ("POST", "GET"):
        try:
            endpoint, _ = adapter.match(parts.path, method=method)
        except HTTPException:
            continue
        # WordPress's old addresses (/<slug>/, /<any>/<path>/) answer any path: no form's.
        if endpoint not in WORDPRESS_CATCH_ALL:
            return None
    return f"form posting to {action!r}, which is no route of the site"


def feed_problems(data: bytes) -> list[str]:
    """Read an Atom or RSS feed: well-formed XML, and its post HTML as harmless as a page's."""
    root = ET.fromstring(data)
    if root.tag == "rss":
        fragments = [item.findtext("description") or "" for item in root.iter("item")]
    else:
        fragments = [c.text or "" for c in root.iter(f"{{{ATOM}}}content")]
        assert {c.get("type") for c in root.iter(f"{{{ATOM}}}content")} <= {"html"}
    problems = []
    for fragment in fragments:
        problems += read_page(fragment, fragment=True).problems
    for element in root.iter():
        if element.tag in ("link", f"{{{ATOM}}}link", f"{{{ATOM}}}uri"):
            for url in [element.get("href"), element.text]:
                if url and browser_scheme(url) not in SAFE_SCHEMES:
                    problems.append(f"feed link {url!r}")
    return problems


ATOM = "http://www.w3.org/2005/Atom"


class Desk:
    """The editor at work through a test client, reading every page the way a browser would.

    Forms are submitted with the CSRF token of the last page read, as from a browser tab.
    """

    def __init__(self, app, client):
        self.app = app
        self.client = client
        self.token = ""
        self.pages = 0
        self.renamed = 0

    def check(self, response, url: str, entry_id: str, shows=()):
        """Fail on anything from a payload that became live in this response."""
        assert response.status_code < 500, (entry_id, url, response.status_code)
        body = response.get_data(as_text=True)
        assert SECRET not in body, f"{url} shows the secret key ({entry_id})"
        if response.mimetype == "text/html":
            reader = read_page(body)
            problems = reader.problems + [
                problem
                for problem in (form_action_problem(self.app, a) for a in reader.forms)
                if problem
            ]
            self.token = reader.csrf_token or self.token
        elif response.mimetype in ("application/atom+xml", "application/rss+xml"):
            problems = feed_problems(response.data)
        else:
            problems = []
        assert not problems, (entry_id, url, problems)
        # Proof that the payload is really on the page: the checks above are not vacuous.
        text = html.unescape(body)
        for value in shows:
            assert value in text, (entry_id, url, value)
        self.pages += 1
        return response

    def get(self, url: str, entry_id: str, shows=()):
        response = self.client.get(url)
        assert response.status_code == 200, (entry_id, url, response.status_code)
        return self.check(response, url, entry_id, shows)

    def post(self, url: str, data: dict, entry_id: str, files: dict | None = None):
        form = {"csrf_token": self.token, **data, **(files or {})}
        response = self.client.post(url, data=form)
        return self.check(response, url, entry_id)

    def save(self, url, data, limits, entry_id, unique=None, files=None):
        """Submit a form with the payload as typed; if refused, read the refusal, then fit it.

        A value past a field's limit (or a name another row already reads as) comes back in
        the refusal page, which is one more page the payload must not break.
        """
        response = self.post(url, data, entry_id, files() if files else None)
        if response.status_code == 302:
            return response
        assert response.status_code == 422, (entry_id, url, response.status_code)
        fitted = {k: v[: limits[k]] if k in limits else v for k, v in data.items()}
        if unique:
            # Another payload of the batch may read as the same name: make this one differ.
            self.renamed += 1
            fitted[unique] = f"{fitted[unique][: limits[unique] - 8]} #{self.renamed}"
        response = self.post(url, fitted, entry_id, files() if files else None)
        assert response.status_code == 302, (entry_id, url, response.get_data(True)[:1500])
        return response


def tiny_png() -> bytes:
    out = BytesIO()
    Image.new("RGB", (40, 30), (200, 80, 40)).save(out, "PNG")
    return out.getvalue()


POST_LIMITS = {
    "title": 300,
    "slug": 200,
    "excerpt": 1000,
    "tags": 1000,
    "image_alt": 300,
    "seo_title": 300,
    "seo_description": 500,
}


def post_fields(payload: str, category_id: int, **fields) -> dict:
    """Return the post form with the payload in every text field, published at once."""
    data = {
        "title": payload,
        "slug": "",
        "body_format": "markdown",
        "body": payload,
        "excerpt": payload,
        "category": str(category_id),
        "tags": payload,
        "image_id": "0",
        "image_alt": payload,
        "status": "publish",
        "publish_at": "",
        "seo_title": payload,
        "seo_description": payload,
        "version": "0",
    }
    data.update(fields)
    return data


def post_id_of(response) -> int:
    return int(response.location.rstrip("/").rsplit("/", 1)[1])


def newest(model):
    return db.session.scalar(select(model).order_by(model.id.desc()).limit(1))


def plant(desk: Desk, app, entry: dict) -> dict:
    """Put one payload into every field of every editor form; return where it ended up."""
    payload, eid = entry["input"], entry["id"]
    category_fields = {"name": payload, "slug": "", "description": payload}
    desk.save("/editor/categories/", category_fields, {"name": 120}, eid, unique="name")
    desk.save("/editor/tags/", {"name": payload, "slug": ""}, {"name": 120}, eid, "name")
    with app.app_context():
        category, tag = newest(Category), newest(Tag)
        placed = {
            "category_id": category.id,
            "category_slug": category.slug,
            "category_shows": (category.name, category.description),
            "tag_id": tag.id,
            "tag_slug": tag.slug,
            "tag_shows": (tag.name,),
        }
    # A file's name is typed text too: it shows in the media library and the image picker.
    file_name = re.sub(r'[\r\n"]', "", payload)[:200] + ".png"
    markdown = desk.save(
        "/editor/posts/new",
        post_fields(payload, placed["category_id"]),
        POST_LIMITS,
        eid,
        files=lambda: {"image": (BytesIO(tiny_png()), file_name)},
    )
    markdown_id = post_id_of(markdown)
    with app.app_context():
        stored = db.session.get(Post, markdown_id)
        image_id, version = stored.image_id, stored.version
        # The second save keeps what the first one stored: only the body changes.
        kept = {
            name: getattr(stored, name)
            for name in ("title", "excerpt", "image_alt", "seo_title", "seo_description")
        }
    assert image_id, eid
    html_fields = post_fields(
        payload,
        placed["category_id"],
        # Typed slugs must be free: the entry's id keeps this one apart from the markdown
        # post's (made from the same title) and from other entries' (slugs keep 80 characters).
        slug=f"html {eid} {payload}",
        body_format="html",
        excerpt="",  # derived from the body
        tags=f"new {payload}",
        image_id=str(image_id),
        seo_title="",
        seo_description="",
    )
    html_id = post_id_of(desk.save("/editor/posts/new", html_fields, POST_LIMITS, eid))
    # A second save, so that the revision pages, with a diff of the source, exist.
    edited = post_fields(
        payload,
        placed["category_id"],
        body=f"{payload}\n\nEdited.",
        tags=payload[:1000],
        image_id=str(image_id),
        version=str(version),
        **kept,
    )
    response = desk.post(f"/editor/posts/{markdown_id}", edited, eid)
    assert response.status_code == 302, (eid, response.get_data(True)[:1500])
    response = desk.post("/editor/preview", html_fields, eid)
    assert response.status_code == 200, (eid, response.status_code)
    profile = {"display_name": payload, "bio": payload}
    desk.save("/editor/profile", profile, {"display_name": 120}, eid)
    settings = {"title": payload, "tagline": payload, "timezone": "UTC", "posts_per_page": "4"}
    desk.save("/editor/settings", settings, {"title": 200, "tagline": 300}, eid)
    ids = [markdown_id, html_id]
    with app.app_context():
        posts = db.session.scalars(select(Post).where(Post.id.in_(ids))).all()
        tag_slugs = db.session.scalars(
            select(Tag.slug).where(
                Tag.id.in_(select(post_tags.c.tag_id).where(post_tags.c.post_id.in_(ids)))
            )
        ).all()
        revision_id = db.session.scalar(select(Revision.id).where(Revision.post_id == markdown_id))
        editor = db.session.scalar(select(User).where(User.username == "editor"))
        placed |= {
            "markdown_id": markdown_id,
            "html_id": html_id,
            "posts": {post.slug: (post.title,) for post in posts},
            "tag_slugs": sorted(set(tag_slugs) - {placed["tag_slug"]}),
            # A payload with commas names other tags on the posts: this one then lists no
            # public post, and has no public page (tests/test_public_holes.py).
            "tag_listed": placed["tag_slug"] in tag_slugs,
            "revision_id": revision_id,
            "month": (posts[0].published_at.year, posts[0].published_at.month),
            "bio": editor.bio,
        }
    return placed


def entry_pages(entry: dict, placed: dict) -> list[tuple[str, tuple[str, ...]]]:
    """Return the pages that show this payload, with text each must show: read before the
    next payload replaces the settings and the profile (every page shows the site's title)."""
    md = placed["markdown_id"]
    category, category_id, tag_id = placed["category_slug"], placed["category_id"], placed["tag_id"]
    q = urlencode({"q": entry["input"][:500]})
    tag = placed["tag_slug"]
    tag_pages = [(f"/tag/{tag}/feed.rss", ()), (f"/tag/{tag}", placed["tag_shows"])]
    return [
        *((f"/posts/{slug}", shows) for slug, shows in placed["posts"].items()),
        (f"/category/{category}", placed["category_shows"]),
        # The category's feed holds both posts; the tag's says the site's tagline.
        (f"/category/{category}/feed.atom", ()),
        *(tag_pages if placed["tag_listed"] else []),
        ("/author/editor", (placed["bio"],)),
        (f"/search?{q}", ()),
        (f"/editor/?{q}", ()),
        (f"/editor/posts/{md}", ()),
        (f"/editor/posts/{md}/revisions/{placed['revision_id']}", ()),
        (f"/editor/categories/{category_id}", placed["category_shows"]),
        (f"/editor/tags/{tag_id}", placed["tag_shows"]),
        ("/editor/profile", (placed["bio"],)),
    ]


def batch_pages(batch: list[dict]) -> list[str]:
    """Return the pages that list a whole batch, and the pages of each payload that show it
    in no context the pages above have not: read once, whatever the settings then are."""
    year, month = batch[0]["month"]
    urls = [
        "/",
        "/?page=2",
        "/archive/",
        f"/archive/{year}/{month}/",
        "/feed.atom",
        "/feed.rss",
        "/editor/",
        "/editor/?status=published",
        "/editor/?page=2",
        "/editor/categories/",
        "/editor/tags/",
        "/editor/media/",
        # Its time zone list makes it the slowest page; the title and tagline are in the
        # <title>, masthead and metadata of every page above, as typed.
        "/editor/settings",
    ]
    for placed in batch:
        md, html_id = placed["markdown_id"], placed["html_id"]
        urls += [f"/tag/{slug}" for slug in placed["tag_slugs"]]
        urls += [
            f"/category/{placed['category_slug']}/feed.rss",
            f"/editor/posts/{html_id}",
            f"/editor/posts/{html_id}/preview",
            f"/editor/posts/{md}/revisions",
            f"/editor/posts/{md}/trash",
            f"/editor/categories/{placed['category_id']}/delete",
            f"/editor/tags/{placed['tag_id']}/delete",
        ]
    return urls


CHANNELS = (
    "post title",
    "post slug",
    "post body (Markdown)",
    "post body (HTML)",
    "post excerpt (typed)",
    "post excerpt (derived)",
    "post tags",
    "SEO title",
    "SEO description",
    "image alt text",
    "image file name",
    "preview",
    "revision diff",
    "category name",
    "category description",
    "tag name",
    "display name",
    "bio",
    "site title",
    "site tagline",
    "editor search query",
    "public search query",
)
TALLY = Counter()


@pytest.fixture(scope="module", autouse=True)
def report(request):
    """Print the figures this module reached: entries, channels and pages read."""
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter and capture and TALLY["entries"]:
        with capture.global_and_fixture_disabled():
            reporter.write_line(
                f"\nXSS channels: {TALLY['entries']} entries x {len(CHANNELS)} channels = "
                f"{TALLY['entries'] * len(CHANNELS)} placements neutralized (in passing tests); "
                f"{TALLY['pages']} pages and feeds read"
            )


@pytest.mark.parametrize(
    "batch", BATCHES, ids=[f"{batch[0]['id']}..{batch[-1]['id']}" for batch in BATCHES]
)
def test_payloads_stay_dead_on_every_page(app, signed_in, batch):
    # The search page echoes the reader's query: it is one of the channels.
    assert "public.search" in app.view_functions
    desk = Desk(app, signed_in)
    desk.get("/editor/", "-")
    planted = []
    for entry in batch:
        planted.append(plant(desk, app, entry))
        for url, shows in entry_pages(entry, planted[-1]):
            desk.get(url, entry["id"], shows)
    for url in batch_pages(planted):
        desk.get(url, batch[-1]["id"])
    TALLY.update(entries=len(batch), pages=desk.pages)


BAD_PAGES = {
    "event handler": '<p><img src=x onerror="alert(1)"></p>',
    "javascript URL": '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "leading control": '<a href="&#14;javascript:alert(1)">x</a>',
    "script": "<p>x</p><script>alert(1)</script>",
    "external script": '<script src="https://evil.example/x.js"></script>',
    "iframe": '<iframe src="https://evil.example"></iframe>',
    "svg": "<svg><animate attributeName=href values=javascript:alert(1) /></svg>",
    "style": '<div style="background:url(javascript:alert(1))">x</div>',
    "meta refresh": '<p><meta http-equiv="refresh" content="0;url=javascript:alert(1)"></p>',
    "base": '<base href="javascript:/">',
    "data URL": '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "formaction": '<button formaction="javascript:alert(1)">x</button>',
    "comment": "<!--<img src=x onerror=alert(1)>-->",
    "broken JSON-LD": '<head><script type="application/ld+json">{"a": "</script>',
    "script outside head": '<body><script type="application/ld+json">{}</script></body>',
    "prose outside allowlist": '<div class="prose"><p><input autofocus></p></div>',
}


@pytest.mark.parametrize("snippet", BAD_PAGES.values(), ids=BAD_PAGES)
def test_the_reader_sees_what_would_run(snippet):
    """The checks above are worth something only if they catch a live payload."""
    assert read_page(f"<!doctype html><html><body>{snippet}</body></html>").problems


def test_the_reader_sees_a_foreign_form(app):
    assert form_action_problem(app, "https://evil.example/steal")
    assert form_action_problem(app, "//evil.example/steal")
    assert form_action_problem(app, "/nowhere/at/all")
    assert form_action_problem(app, "/editor/settings") is None


def test_the_reader_passes_a_clean_page(client, content):
    slug = content.post("Plain words", tags=["Plain"])
    for url in ["/", f"/posts/{slug}", "/auth/sign-in", "/feed.atom", "/feed.rss"]:
        response = client.get(url)
        if response.mimetype == "text/html":
            assert read_page(response.text).problems == [], url
        else:
            assert feed_problems(response.data) == [], url
