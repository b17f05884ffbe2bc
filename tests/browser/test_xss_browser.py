"""The XSS corpus in a real Chromium: pages holding every entry open, and nothing runs.

A blog of its own holds every corpus entry (and our own variants) in post bodies, HTML and
Markdown, all at once and a few at a time; payloads are also its site title, tagline, byline,
bio, a category, a tag and post titles. Chromium opens every page that shows them, public and
editor, with alert/confirm/prompt/print replaced by recorders, dialogs recorded, CSP
violations recorded, and the live DOM searched for anything that could run.
"""

import json
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import select

from blog import accounts, taxonomy
from blog.extensions import db
from blog.models import Category, Post, Tag
from blog.posts import editing
from blog.settings import SiteSettings, save_settings
from tests.helpers import PASSWORD
from tests.test_xss_channels import OWN_VARIANTS

pytestmark = pytest.mark.browser

CORPUS = json.loads(
    (Path(__file__).parent.parent / "data" / "xss-corpus.json").read_text(encoding="utf-8")
)
# Stored the way the forms deliver them: every request drops NUL characters (which
# PostgreSQL cannot store) before the app sees them.
ENTRIES = [
    {**entry, "input": entry["input"].replace("\x00", "")} for entry in CORPUS + OWN_VARIANTS
]
PAYLOAD = {entry["id"]: entry["input"] for entry in ENTRIES}
# A few entries per post too: in one long body an unclosed quote can swallow what follows.
CHUNK = 8

RECORDER = """
window.__xss = [];
window.__csp = [];
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = (...args) => { window.__xss.push(name + "(" + args.map(String).join() + ")"); };
}
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(event.effectiveDirective + " " + event.blockedURI + " " + event.sample);
});
"""

# Run in the page once it has loaded: everything in the live DOM (as Chromium's own parser
# built it, mutations and all) that could run code or send the reader elsewhere.
LIVE_DOM = """() => {
  const found = [];
  const origin = location.origin;
  const schemeOf = (value) => {
    try { return new URL(value, document.baseURI).protocol; } catch { return "invalid:"; }
  };
  const URLS = ["href", "src", "action", "formaction", "xlink:href", "data", "poster",
                "background", "cite", "ping"];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on") || name === "style" || name === "srcdoc") {
        found.push(`${el.tagName} ${name}=${attr.value.slice(0, 80)}`);
      }
      const scheme = URLS.includes(name) ? schemeOf(attr.value) : "";
      if (["javascript:", "vbscript:", "data:"].includes(scheme)) {
        found.push(`${el.tagName} ${name}=${attr.value.slice(0, 80)}`);
      }
    }
  }
  for (const script of document.scripts) {
    const ours = script.src.startsWith(origin + "/static/");
    if (!ours && script.type !== "application/ld+json") {
      found.push(`SCRIPT ${script.src} ${script.text.slice(0, 80)}`);
    }
  }
  const dead = "iframe, frame, frameset, object, embed, applet, base, style, svg, math," +
               "template, noscript, portal, meta[http-equiv], link:not([rel=stylesheet])" +
               ":not([rel=alternate]):not([rel=icon]):not([rel=canonical])" +
               ":not([rel=preload][href^='/static/fonts/'])";
  for (const el of document.querySelectorAll(dead)) {
    found.push(`${el.tagName} ${el.outerHTML.slice(0, 80)}`);
  }
  for (const form of document.forms) {
    if (new URL(form.action).origin !== origin) found.push(`FORM to ${form.action}`);
  }
  return found;
}"""

# CSP may block these only if something from a payload tried to run: never expected.
SCRIPT_DIRECTIVES = ("script-src", "object-src", "base-uri", "form-action", "frame-src")
TALLY = Counter()


def fill(app) -> None:
    """Write the payloads with the site's own saving functions, as the editor's forms do."""
    user = accounts.ensure_editor_account()
    accounts.set_password(user, PASSWORD)
    user.display_name = PAYLOAD["own-attr-sq-breakout"]
    user.bio = "\n".join(entry["input"] for entry in ENTRIES)
    save_settings(
        SiteSettings(
            title=PAYLOAD["own-title-breakout"],
            tagline=PAYLOAD["own-attr-dq-breakout"],
            timezone="UTC",
            posts_per_page=10,
        )
    )
    category = taxonomy.create_category(
        PAYLOAD["own-attr-unquoted"], description=PAYLOAD["own-textarea-breakout"]
    )
    zone = SiteSettings("t", "", "UTC", 10).zone

    def write(title, body, body_format, **fields):
        data = editing.PostInput(
            title=title,
            body=body,
            body_format=body_format,
            category_id=category.id,
            status="publish",
            tags=PAYLOAD["own-tags-commas"],
            **fields,
        )
        editing.save_post(None, data, user, zone)

    for body_format, separator in (("html", "\n"), ("markdown", "\n\n")):
        everything = separator.join(entry["input"] for entry in ENTRIES)
        write(f"Every entry ({body_format})", everything, body_format)
        for start in range(0, len(ENTRIES), CHUNK):
            chunk = ENTRIES[start : start + CHUNK]
            body = separator.join(entry["input"] for entry in chunk)
            # The first entry of the chunk is the post's title too.
            write(chunk[0]["input"][:300], body, body_format)
    write(
        PAYLOAD["own-json-ld-breakout"],
        "A body.",
        "markdown",
        excerpt=PAYLOAD["own-json-ld-comment"],
        seo_description=PAYLOAD["own-xml-cdata"],
    )
    db.session.commit()


@pytest.fixture(scope="module")
def corpus_site(serve_site):
    """A live blog holding every payload, and the paths of the pages that show them."""
    paths = {}

    def plant(app):
        fill(app)
        posts = db.session.execute(select(Post.id, Post.slug).order_by(Post.id)).all()
        category = db.session.scalar(select(Post.category_id).limit(1))
        paths["public"] = [f"/posts/{slug}" for _, slug in posts] + [
            *(f"/?page={n}" for n in range(1, len(posts) // 10 + 2)),
            "/archive/",
            "/author/editor",
            *(f"/category/{slug}" for slug in db.session.scalars(select(Category.slug))),
            *(f"/tag/{slug}" for slug in db.session.scalars(select(Tag.slug))),
            "/search?q=" + quote(PAYLOAD["own-attr-dq-breakout"]),
            "/search?q=alert",
            "/search?q=javascript",
        ]
        big = [post_id for post_id, slug in posts if slug.startswith("every-entry")]
        paths["editor"] = [
            "/editor/",
            *(f"/editor/posts/{post_id}" for post_id in big),
            *(f"/editor/posts/{post_id}/preview" for post_id in big),
            f"/editor/categories/{category}",
            "/editor/categories/",
            "/editor/tags/",
            "/editor/profile",
            "/editor/settings",
        ]

    url = serve_site(plant)
    return url, paths


@pytest.fixture
def watched(browser, corpus_site):
    """A page that records dialogs, recorder calls and CSP violations, and fetches nothing
    from outside the site (a payload's image would otherwise wait on the network)."""
    url, _ = corpus_site
    context = browser.new_context()
    context.set_default_timeout(10_000)
    context.add_init_script(RECORDER)
    context.route(lambda target: not target.startswith(url), lambda route: route.abort())
    page = context.new_page()
    page.dialogs = []

    def on_dialog(dialog):
        page.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    yield page
    context.close()


def visit(page, url: str) -> dict:
    """Open a page, let it settle, and return what ran and what the DOM holds."""
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, (url, response and response.status)
    # Event handlers (onerror of a failed image ...) run after load: give them a moment.
    page.wait_for_timeout(50)
    return {
        "calls": page.evaluate("window.__xss"),
        "csp": page.evaluate("window.__csp"),
        "live": page.evaluate(LIVE_DOM),
    }


def check_pages(page, base: str, paths: list[str]) -> None:
    problems = []
    for path in paths:
        seen = visit(page, base + path)
        TALLY["pages"] += 1
        for violation in seen["csp"]:
            TALLY[f"CSP {violation.split()[0]}"] += 1
            if violation.startswith(SCRIPT_DIRECTIVES):
                problems.append((path, "CSP blocked", violation))
        problems += [(path, "called", call) for call in seen["calls"]]
        problems += [(path, "live in the DOM", item) for item in seen["live"]]
    problems += [("dialog", d) for d in page.dialogs]
    TALLY["dialogs"] += len(page.dialogs)
    assert not problems, problems


def test_no_payload_runs_on_public_pages(watched, corpus_site):
    url, paths = corpus_site
    check_pages(watched, url, paths["public"])


def test_no_payload_runs_in_the_editor(watched, corpus_site):
    url, paths = corpus_site
    watched.goto(url + "/auth/sign-in")
    watched.get_by_label("Username", exact=True).fill("editor")
    watched.get_by_label("Password", exact=True).fill(PASSWORD)
    watched.get_by_role("button", name="Sign in").click()
    watched.wait_for_url(url + "/editor/")
    check_pages(watched, url, paths["editor"])


def test_the_recorders_see_a_payload_that_runs(watched, corpus_site):
    """The recorders are worth something only if they catch a payload that does run."""
    # Without the site's sanitizer and CSP: the call is recorded, the DOM check sees both.
    watched.set_content('<img src="x:" onerror="alert(1)"><a href="javascript:alert(2)">x</a>')
    watched.wait_for_function("window.__xss.length > 0")
    assert watched.evaluate("window.__xss") == ["alert(1)"]
    live = watched.evaluate(LIVE_DOM)
    assert any("onerror" in item for item in live) and any("javascript:" in i for i in live)
    # On a page of the site, an inline script that got into the DOM is stopped by the CSP,
    # and the violation is recorded.
    url, _ = corpus_site
    watched.goto(url + "/")
    watched.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'alert(3)'; document.body.append(s); }"
    )
    watched.wait_for_function("window.__csp.length > 0")
    assert watched.evaluate("window.__csp")[0].startswith("script-src")
    assert watched.evaluate("window.__xss") == []


@pytest.fixture(scope="module", autouse=True)
def report(request):
    """Print what the browser saw: pages, dialogs and the CSP violations by directive."""
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter and capture and TALLY["pages"]:
        csp = {k: v for k, v in TALLY.items() if k.startswith("CSP")} or "none"
        with capture.global_and_fixture_disabled():
            reporter.write_line(
                f"\nXSS in Chromium: {len(ENTRIES)} entries, {TALLY['pages']} pages, "
                f"{TALLY['dialogs']} dialogs; CSP violations: {csp}"
            )
