"""Big bodies: saved through the editor in one clean parse, bounded in depth and in work."""

import html
import re

import pytest
from sqlalchemy import func, select

from bench.bodies import BODIES
from blog import render, sanitize
from blog.extensions import db
from blog.models import Post
from blog.render import body_fields, derive_excerpt, render_body, search_text, word_count
from tests.helpers import post_form_data

NEW = "/editor/posts/new"


@pytest.fixture
def parses(monkeypatch):
    """Count the sanitizer's html5lib parses."""
    calls = []
    parse = sanitize._cleaner.parser.parseFragment

    def counted(*args, **kwargs):
        calls.append(1)
        return parse(*args, **kwargs)

    monkeypatch.setattr(sanitize._cleaner.parser, "parseFragment", counted)
    return calls


@pytest.fixture
def limit(monkeypatch):
    """Set one of the sanitizer's bounds for a test; the last render is forgotten."""

    def set_limit(name: str, value) -> None:
        monkeypatch.setattr(sanitize, name, value)
        monkeypatch.setattr(render, "_last", None)

    return set_limit


def textarea(page: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(?:\r?\n)?(.*?)</textarea>', page, re.S)
    assert match, f"no {name} textarea"
    return html.unescape(match.group(1))


def save(client, category_id, title, body, body_format="markdown"):
    data = post_form_data(client, NEW, category_id, title=title, body=body, body_format=body_format)
    data["status"] = "publish"
    return client.post(NEW, data=data)


@pytest.mark.parametrize("name", BODIES)
def test_big_body_saves_and_shows(app, client, signed_in, category_id, parses, name):
    make, body_format = BODIES[name]
    body = make()
    response = save(signed_in, category_id, "Big", body, body_format)
    assert response.status_code == 302, response.text[:2000]
    # The form checks the body and the save stores it: one parse between them.
    assert len(parses) == 1
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.title == "Big"))
        assert post.body_source == body
        slug, stored = post.slug, (post.body_html, post.search_text, post.word_count)
    body_html, text, words = stored
    assert text and len(body_html) > len(body) // 2
    assert words > 0 or set(text) == {"&"}  # "&&&..." is no word
    page = client.get(f"/posts/{slug}")
    assert page.status_code == 200
    assert body_html in page.text


def test_derived_fields_come_from_the_one_clean_html(parses):
    source = "# Title\n\nFirst *para*.\n\n- item one\n- item two\n\n> A quote &amp; more.\n"
    fields = body_fields(source, "markdown")
    assert len(parses) == 1
    clean = fields.body_html
    assert fields.search_text == search_text(clean)
    assert fields.search_text == "Title First para. item one item two A quote & more."
    assert fields.word_count == word_count(clean) == 10
    assert fields.excerpt == derive_excerpt(clean) == "First para. A quote & more."


def test_text_is_read_from_tags_and_quoted_attributes():
    clean = render_body(
        '<p title="a > b">one<br>two</p><table><tr><td>x</td><td>y</td></tr></table>'
        "<pre>&lt;b&gt; &amp;amp;</pre>",
        "html",
    )
    assert search_text(clean) == "one two x y <b> &amp;"
    assert derive_excerpt(clean) == "one two"


@pytest.mark.parametrize("tag", ["div", "blockquote", "b", "span"])
def test_deep_nesting_is_flattened_with_its_text_kept(tag):
    depth = 400
    source = f"<{tag}>level " * depth + "bottom" + f"</{tag}>" * depth
    out = sanitize.clean_html(source)
    assert out.count(f"<{tag}>") <= sanitize.MAX_DEPTH + 1
    assert "bottom" in out and search_text(out).count("level") == depth
    assert sanitize.clean_html(out) == out


def test_raw_text_elements_keep_their_meaning_when_deep():
    deep = "<div>" * 150
    out = sanitize.clean_html(deep + "<script>alert(1)<p>x</p></script><p>after</p>")
    assert "alert" not in out and "after" in out


def test_too_many_elements_is_a_field_error_with_the_text_kept(app, signed_in, category_id, limit):
    limit("MAX_ELEMENTS", 1_000)
    body = "<i>x</i> " * 2_000
    response = save(signed_in, category_id, "Too many", body, "html")
    assert response.status_code == 422
    assert "too complex to save (more than 1,000 elements)" in response.text
    assert textarea(response.text, "body") == body
    with app.app_context():
        assert db.session.scalar(select(Post).where(Post.title == "Too many")) is None


def test_too_long_to_clean_is_a_field_error(app, signed_in, category_id, limit):
    limit("MAX_SECONDS", -1.0)  # every body is over budget
    response = save(signed_in, category_id, "Slow", "Anything at all, *really*.")
    assert response.status_code == 422
    assert "too complex to save (more than" in response.text
    assert textarea(response.text, "body") == "Anything at all, *really*."


def test_refusal_reaches_other_writers(limit):
    limit("MAX_ELEMENTS", 10)
    with pytest.raises(sanitize.BodyTooComplex):
        body_fields("<i>x</i>" * 20, "html")


def test_a_body_is_rendered_once_for_check_and_save(parses):
    source = "A body checked, then saved: *one* render."
    assert render.check_body(source, "markdown") is None
    fields = body_fields(source, "markdown")
    assert len(parses) == 1 and "<em>one</em>" in fields.body_html


def test_markdown_nested_past_the_presets_20_levels_keeps_its_text():
    for source in (
        "> " * 30 + "deep quote\n\nafter",
        "\n".join("  " * n + f"- item {n}" for n in range(30)) + "\n\nafter",
    ):
        search = search_text(render_body(source, "markdown"))
        assert "after" in search and ("deep quote" in search or "item 29" in search)


def test_markdown_nested_too_deep_is_a_field_error(app, signed_in, category_id):
    body = "> " * 150 + "deep quote\n\nafter"
    response = save(signed_in, category_id, "Deep", body)
    assert response.status_code == 422
    assert "Markdown nested more than 100 levels deep" in response.text
    assert textarea(response.text, "body") == body


def test_preview_of_a_refused_body_is_the_form_with_the_reason(signed_in, category_id):
    body = "> " * 150 + "deep quote"
    data = post_form_data(signed_in, NEW, category_id, title="Deep preview", body=body)
    response = signed_in.post("/editor/preview", data=data)
    assert response.status_code == 422
    assert "Markdown nested more than 100 levels deep" in response.text
    assert textarea(response.text, "body") == body


def test_rerender_names_a_refused_post_and_changes_nothing(app, runner, content, limit):
    content.post(title="Many", body="*x* " * 20)
    with app.app_context():
        before = db.session.scalar(select(Post.body_html).where(Post.title == "Many"))
    limit("MAX_ELEMENTS", 10)
    result = runner.invoke(args=["rerender"])
    assert result.exit_code == 1
    assert "is too complex to render (more than 10 elements). Nothing was changed." in result.output
    with app.app_context():
        assert db.session.scalar(select(Post.body_html).where(Post.title == "Many")) == before


def test_import_wxr_names_a_refused_item_and_changes_nothing(app, runner, limit):
    from tests.test_wxr import FIXTURE

    limit("MAX_ELEMENTS", 3)
    result = runner.invoke(args=["import-wxr", str(FIXTURE)])
    assert result.exit_code == 1
    assert "is too complex to render (more than 3 elements)." in result.output
    assert "Nothing was changed." in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Post.id))) == 0
