"""Issue 18, item 2: classic-editor content gets WordPress's own paragraphs and line breaks.

tests/data/wpautop/cases.json holds inputs (every post body of the three WordPress exports in
tests/data, and hand-written cases for each rule) and, for each, what WordPress's own wpautop()
returned (filled in by tests/data/wpautop/wordpress.php with Debian's wordpress package, so
that these tests need no PHP).
"""

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from blog.extensions import db
from blog.models import Post
from blog.sanitize import clean_html
from blog.wordpress.autop import wpautop
from blog.wordpress.body import convert_body

DATA = Path(__file__).parent / "data"
FIXTURE = json.loads((DATA / "wpautop" / "cases.json").read_text(encoding="utf-8"))
CASES = FIXTURE["cases"]
# The post bodies of the exports written in the classic editor: no blocks.
CLASSIC = [c for c in CASES if ": " in c["name"] and "<!-- wp:" not in c["input"]]


def test_the_fixture_is_wordpresss_output():
    assert FIXTURE["wordpress_version"] == "6.1.9"
    assert len(CASES) == 126 and len(CLASSIC) == 20
    assert all(case["wordpress"] is not None for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_wpautop_gives_what_wordpress_gives(case):
    assert wpautop(case["input"]) == case["wordpress"]


def breaks(html: str) -> int:
    return clean_html(html).count("<br")


def test_classic_posts_have_the_line_breaks_wordpress_shows():
    """The whole conversion (shortcodes, comments, the sanitizer) keeps wpautop's <br>s."""
    wordpress = [breaks(case["wordpress"]) for case in CLASSIC]
    here = [breaks(convert_body(case["input"], {}).html) for case in CLASSIC]
    assert here == wordpress and sum(here) == 19


@pytest.mark.parametrize(
    "source",
    [
        "<h2>A heading</h2>\nFirst line\nsecond line",
        "Before\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\nAfter",
        "<ol>\n\n<li>one</li>\n\n<li>two</li>\n</ol>",
        "<table>\n<tr>\n<td>a</td>\n</tr>\n</table>",
        "<blockquote>\nQuote\n</blockquote>",
        "One<br><br>two",
    ],
)
def test_no_line_break_next_to_a_block(source):
    html = clean_html(convert_body(source, {}).html)
    assert not re.search(r"<br>\s*</?(h2|ul|ol|li|table|tr|td|blockquote|p)\b", html), html
    assert not re.search(r"</?(h2|ul|ol|li|table|tr|td|blockquote)>\s*<br>", html), html


def test_block_editor_content_is_shown_as_stored():
    # WordPress runs wpautop only on content without blocks.
    source = "<!-- wp:html -->\n<div>one\ntwo</div>\n<!-- /wp:html -->"
    assert convert_body(source, {}).html == "<div>one\ntwo</div>"


def test_an_imported_classic_post_has_wordpresss_paragraphs(app, runner):
    result = runner.invoke(args=["import-wxr", str(DATA / "theme-preview.xml")])
    assert result.exit_code == 0, result.output
    with app.app_context():
        body = db.session.scalar(select(Post.body_html).where(Post.slug == "elements"))
    [case] = [c for c in CLASSIC if c["name"] == "theme-preview: Elements"]
    assert body.count("<br") == breaks(case["wordpress"]) == 12
    assert body.count("<p>") == clean_html(case["wordpress"]).count("<p>") - 1  # the comment's
