"""Richer Markdown: footnotes, bare URLs, heading anchors, [[toc]], task lists; all sanitized."""

import pytest

from blog.render import body_fields, render_body
from blog.sanitize import clean_html
from tests.test_sanitize import CORPUS, assert_harmless


def md(source: str) -> str:
    out = render_body(source, "markdown")
    assert clean_html(out) == out  # what is stored cleans to itself
    return out


def test_footnotes():
    out = md("Rain fell[^1] all day.\n\n[^1]: Twelve millimetres, says the office.\n")
    assert '<sup class="footnote-ref"><a href="#fn1" id="fnref1">[1]</a></sup>' in out
    assert '<hr class="footnotes-sep">' in out
    assert '<section class="footnotes">\n<ol class="footnotes-list">' in out
    assert '<li id="fn1" class="footnote-item"><p>Twelve millimetres, says the office.' in out
    assert '<a href="#fnref1" class="footnote-backref">' in out


def test_bare_urls_become_links():
    out = md("See https://example.org/report?id=7 and www.example.com today.")
    assert '<a href="https://example.org/report?id=7">https://example.org/report?id=7</a>' in out
    assert '<a href="http://www.example.com">www.example.com</a>' in out
    # Code stays code.
    assert "<code>https://example.org</code>" in md("`https://example.org`")


def test_headings_have_ids_and_a_link_to_themselves():
    out = md("# Results\n\n## Results\n\n### What it *means*\n")
    assert '<h2 id="results">Results<a class="header-anchor" href="#results"' in out
    assert '<h2 id="results-1">' in out  # unique in the body
    assert '<h3 id="what-it-means">What it <em>means</em><a class="header-anchor"' in out
    assert 'aria-label="Link to “What it means”"></a></h3>' in out


def test_a_table_of_contents_where_asked():
    out = md("[[toc]]\n\n## One\n\n### One point five\n\n## Two\n")
    assert out.startswith(
        '<nav class="toc" aria-label="Contents"><ul><li><a href="#one">One</a>'
        '<ul><li><a href="#one-point-five">One point five</a></li></ul></li>'
        '<li><a href="#two">Two</a></li></ul></nav>'
    )
    assert "[[toc]]" not in out
    assert "<p>[TOC]</p>" not in md("[TOC]\n\n## A\n")
    # Inside a sentence, or in code, it is text.
    assert "<p>Write [[toc]] to get one.</p>" in md("Write [[toc]] to get one.")
    assert md("[[toc]]\n\nNo headings.") == "<p>No headings.</p>\n"


def test_task_lists_without_form_controls():
    out = md("- [ ] call the mayor\n- [x] file the story\n")
    assert '<ul class="contains-task-list">' in out
    assert '<li class="task-list-item">☐ call the mayor</li>' in out
    assert '<li class="task-list-item">☑ file the story</li>' in out
    assert "<input" not in out


def test_plugin_markup_is_not_the_editors_to_forge():
    out = render_body(
        '<p class="footnotes" id="_x"><a class="evil header-anchor" id="a b" href="#x">x</a>'
        '<nav class="menu">n</nav><h2 id="ok" class="toc">h</h2>'
        '<input type="checkbox" checked><sup class="footnote-ref">1</sup></p>',
        "html",
    )
    for forged in ('id="_x"', 'class="footnotes"', "evil", 'id="a b"', "menu", 'class="toc"'):
        assert forged not in out
    assert "<input" not in out and "checkbox" not in out
    assert '<a href="#x">x</a>' in out and '<h2 id="ok">h</h2>' in out


def test_the_search_text_and_excerpt_skip_the_anchors():
    fields = body_fields("## Storm\n\nThe wind rose.[^1]\n\n[^1]: Note.", "markdown")
    assert fields.excerpt.startswith("The wind rose.")
    assert "Link to" not in fields.search_text


# Each payload where the plugins put text: a footnote, a heading (and so its id, its link and
# the table of contents), a task, a bare URL's neighbourhood, a link.
PLACES = {
    "footnote": "Text[^a].\n\n[^a]: {x}\n",
    "inline-footnote": "Text^[{x}] more.",
    "heading": "[[toc]]\n\n## {x}\n\n### {x} two\n",
    "task": "- [ ] {x}\n- [x] {x}\n",
    "url": "https://example.org/{x} www.{x}.com",
    "link": "[{x}](https://example.org/) and <{x}>",
}


@pytest.mark.parametrize("place", PLACES)
def test_the_xss_corpus_stays_dead_through_the_plugins(place):
    for entry in CORPUS:
        source = PLACES[place].replace("{x}", entry["input"])
        out = render_body(source, "markdown")
        assert_harmless(out)
        # Mis-nested markup (a table inside a heading) may move again when cleaned twice:
        # harmless either way.
        assert_harmless(clean_html(out))


def test_typographic_quotes_are_a_site_setting(app, signed_in, category_id, runner):
    from sqlalchemy import select

    from blog.extensions import db
    from blog.models import Post
    from tests.helpers import csrf_token, post_form_data

    source = '"Quoted" -- it\'s done...'

    def write(title):
        data = post_form_data(signed_in, "/editor/posts/new", category_id, title=title, body=source)
        assert signed_in.post("/editor/posts/new", data=data).status_code == 302
        with app.app_context():
            return db.session.scalar(select(Post.body_html).where(Post.title == title))

    assert write("Plain") == "<p>&quot;Quoted&quot; -- it's done...</p>\n"
    settings = {
        "csrf_token": csrf_token(signed_in, "/editor/settings"),
        "title": "My Blog",
        "tagline": "",
        "timezone": "UTC",
        "posts_per_page": "10",
        "typographic_quotes": "y",
    }
    assert signed_in.post("/editor/settings", data=settings).status_code == 302
    assert "checked" in signed_in.get("/editor/settings").text
    assert write("Curly") == "<p>“Quoted” – it’s done…</p>\n"
    # The older post gets them when every post is rendered again.
    assert "1 changed" in runner.invoke(args=["rerender"]).output
    with app.app_context():
        plain = db.session.scalar(select(Post.body_html).where(Post.title == "Plain"))
    assert plain == "<p>“Quoted” – it’s done…</p>\n"
