"""Elements a reader never sees as text go whole: their contents do not turn into prose."""

import ast
import html
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from blog.extensions import db
from blog.models import Category, Post
from blog.render import FORMATS, render_body
from blog.sanitize import DROPPED_WITH_CONTENTS, clean_html, strip_tags
from tests.helpers import post_form_data

HIDDEN = {
    "script": "<script>alert('xss')</script>",
    "script-in-paragraph": "<p>before <script>alert('xss')</script>after</p>",
    "script-with-markup": "<script>document.write('<b>alert</b>')</script>",
    "style": "<style>p { color: red } /* alert */</style>",
    "template": "<template><p>alert</p></template>",
    "noscript": "<noscript><p>alert <a href='/x'>link</a></p></noscript>",
    "iframe": '<iframe src="https://example.com/">alert</iframe>',
    "object": '<object data="movie.swf"><p>alert fallback</p></object>',
    "embed": '<embed src="movie.swf">',
    "noembed": "<noembed>alert</noembed>",
    "noframes": "<noframes>alert</noframes>",
    "applet": '<applet code="A.class">alert</applet>',
    "video": "<video><source src='v.mp4'>alert: your browser cannot play this</video>",
    "audio": "<audio>alert</audio>",
    "canvas": "<canvas>alert</canvas>",
    "title": "<title>alert</title>",
    "svg-script": "<svg><script>alert('xss')</script></svg>",
    "nested": "<object><iframe>alert</iframe><script>alert()</script>alert</object>",
    "upper-case": "<SCRIPT>alert('XSS')</SCRIPT>",
}


@pytest.mark.parametrize("source", HIDDEN.values(), ids=HIDDEN.keys())
def test_hidden_element_goes_with_its_contents(source):
    out = clean_html(f"<p>Kept.</p>{source}<p>Also kept.</p>")
    assert "alert" not in out and "color" not in out, out
    assert out.startswith("<p>Kept.</p>") and out.endswith("<p>Also kept.</p>"), out
    assert "alert" not in strip_tags(source)
    assert clean_html(out) == out


def test_what_a_reader_sees_stays():
    out = clean_html("<p>before <script>alert(1)</script>after</p><xmp>shown</xmp>")
    assert out == "<p>before after</p>shown"
    assert strip_tags("<p>a<style>b</style>c</p>") == "ac"
    # As in a browser, a script left open runs to the end: all of that is its code.
    assert clean_html("<p>a</p><script>alert(1)<p>b</p>") == "<p>a</p>"


def test_every_hidden_element_has_a_case():
    named = {re.match(r"<(\w+)", source, re.IGNORECASE)[1].lower() for source in HIDDEN.values()}
    assert named >= DROPPED_WITH_CONTENTS


@pytest.mark.parametrize("body_format", FORMATS)
def test_script_text_never_reaches_the_post_page(app, client, signed_in, body_format):
    with app.app_context():
        category = Category(name="News", slug="news")
        db.session.add(category)
        db.session.commit()
        category_id = category.id
    body = "Before the script.\n\n<script>alert('xss')</script>\n\n<style>p{}</style>After it."
    url = "/editor/posts/new"
    data = post_form_data(
        signed_in, url, category_id, title="Scripted", body=body, body_format=body_format
    )
    data["status"] = "publish"
    response = signed_in.post(url, data=data)
    assert response.status_code == 302, response.text[:2000]
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.title == "Scripted"))
        assert post.body_source == body  # what was typed is kept
        slug, excerpt = post.slug, post.excerpt
    page = client.get(f"/posts/{slug}").text
    text = html.unescape(re.sub(r"<[^>]+>", " ", page.split("<main", 1)[1]))
    assert "Before the script." in text and "After it." in text
    assert "alert" not in text and "p{}" not in text
    assert "alert" not in excerpt
    assert render_body(body, body_format) in page


def test_only_the_sanitizer_imports_bleach():
    root = Path(__file__).parent.parent / "blog"
    importers = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            if any(name.split(".")[0] == "bleach" for name in names):
                importers.append(path.relative_to(root).as_posix())
    assert set(importers) == {"sanitize.py"}


def test_rerender_brings_bodies_saved_under_older_rules_in_line(app, runner, client, content):
    """A body stored before a sanitizer change is fixed by `flask rerender`, nothing else."""
    slug = content.post("Old body", body="Before <script>alert('old')</script>after.")
    kept = content.post("Kept excerpt", body="Plain text.")
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.slug == slug))
        # As an older sanitizer stored it: the script's code left behind as text.
        post.body_html = post.excerpt = "<p>Before alert('old')after.</p>"
        db.session.commit()
        custom = db.session.scalar(select(Post).where(Post.slug == kept))
        custom.excerpt, custom.custom_excerpt = "Typed by the editor.", True
        db.session.commit()
        before = {p.slug: (p.version, p.updated_at) for p in db.session.scalars(select(Post))}
    assert "alert" in client.get(f"/posts/{slug}").text

    result = runner.invoke(args=["rerender"])

    assert result.exit_code == 0, result.output
    assert "Rendered every post again: 1 changed." in result.output
    assert "alert" not in client.get(f"/posts/{slug}").text  # the page cache followed too
    with app.app_context():
        posts = {p.slug: p for p in db.session.scalars(select(Post))}
        assert {s: (p.version, p.updated_at) for s, p in posts.items()} == before
        assert posts[slug].body_html == render_body(posts[slug].body_source, "markdown")
        assert "alert" not in posts[slug].excerpt + posts[slug].search_text
        assert posts[kept].excerpt == "Typed by the editor."
    assert ": 0 changed." in runner.invoke(args=["rerender"]).output  # nothing left to do
