"""The comments from the earlier site in a real browser: part of the article's column, threads
indented, nothing wider than a phone, and markup in a comment only ever text."""

import pytest

from tests.test_wxr_comments import DISCUSSED, comment, post_item
from tests.test_wxr_holes import wxr

pytestmark = pytest.mark.browser

TRAP = '&lt;img src=x onerror="window.pwned=1"&gt;'  # text in WordPress: must stay text here
LONG_URL = "https://example.com/" + "a-very-long-path-segment/" * 6


@pytest.fixture(scope="module")
def site(serve_site, tmp_path_factory):
    extra = [
        comment(120, f"Look: {TRAP}\n\nAnd {LONG_URL}", author="Grace", date="2024-05-15 08:00:00"),
        comment(130, "Reply to Bob.", author="Carol", parent=103, date="2024-05-15 09:00:00"),
    ]
    path = tmp_path_factory.mktemp("wxr") / "site.xml"
    path.write_text(wxr(post_item(10, "discussed", DISCUSSED + extra)), encoding="utf-8")

    def fill(app):
        result = app.test_cli_runner().invoke(args=["import-wxr", str(path)])
        assert result.exit_code == 0, result.output

    return serve_site(fill)


@pytest.mark.parametrize("width", [360, 1280])
def test_comments_sit_in_the_articles_column(open_page, site, width, tmp_path):
    page = open_page(width=width)
    page.goto(site + "/posts/discussed")
    comments = page.locator("section.comments")
    comments.screenshot(path=tmp_path / f"comments-{width}.png")
    edges = page.evaluate(
        """() => {
            const box = (s) => document.querySelector(s).getBoundingClientRect();
            return {
                prose: box('.prose').left, comments: box('.comments').left,
                width: document.documentElement.scrollWidth,
                depths: [...document.querySelectorAll('.comment')].map(
                    (el) => [el.className, el.getBoundingClientRect().left]),
            };
        }"""
    )
    assert edges["width"] == width  # nothing wider than the screen, long URLs included
    assert abs(edges["comments"] - edges["prose"]) < 1
    lefts = {name: left for name, left in edges["depths"]}
    assert lefts["comment"] < lefts["comment reply depth-1"] < lefts["comment reply depth-2"]
    assert page.evaluate("window.pwned") is None
    assert '<img src=x onerror="window.pwned=1">' in comments.inner_text()
