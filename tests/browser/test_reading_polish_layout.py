"""Reading polish in a real browser: long words, code, related posts, bios, media addresses."""

import re
from datetime import timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect

from blog import accounts
from blog.demo import create_demo_posts
from blog.extensions import db
from blog.models import Category, Post, Revision, Tag, utcnow
from blog.render import body_fields
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser

LONG_WORD = "Supercalifragilistic" * 15  # 300 characters, no break
CODE_POST = """\
A paragraph before the code.

```python
print("a line of code far longer than any phone is wide, which must scroll inside its block")
```

Inline `code` too.
"""


def _post(title, body, category, tags, author_id, ago):
    return Post(
        title=title,
        slug=re.sub(r"\W+", "-", title.lower())[:60].strip("-"),
        body_source=body,
        **body_fields(body, "markdown").as_dict(),
        status="published",
        published_at=utcnow() - ago,
        author_id=author_id,
        category=category,
        tags=tags,
    )


@pytest.fixture(scope="module")
def site(serve_site):
    """A blog whose editor, category, tag, post and revision carry one very long word."""
    ids = {}

    def fill(app):
        create_demo_posts(4)
        editor = accounts.ensure_editor_account()
        accounts.set_password(editor, PASSWORD)
        editor.bio = "Covers the harbour.\nWrites at night.\n\nA second paragraph."
        category = Category(name=LONG_WORD[:120], slug=LONG_WORD[:120].lower())
        tag = Tag(name=LONG_WORD[:119] + "x", slug="long-tag")
        shared = Tag(name="Shared", slug="shared")
        db.session.add_all([category, tag, shared])
        db.session.flush()
        long_post = _post(LONG_WORD, "Short.", category, [tag, shared], editor.id, timedelta(1))
        code_post = _post("Code", CODE_POST, category, [shared], editor.id, timedelta(0))
        db.session.add_all([long_post, code_post])
        db.session.flush()
        db.session.add(
            Revision(
                post_id=long_post.id,
                version=1,
                title=LONG_WORD,
                body_format="markdown",
                body_source="Short.",
                saved_at=utcnow(),
            )
        )
        long_post.version = 2
        db.session.commit()
        ids.update(long=long_post.id, code=code_post.slug, editor=editor.username)

    return serve_site(fill), ids


def sign_in(page, url, username):
    page.goto(url + "/auth/sign-in")
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(url + "/editor/")


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_editor_tables_fit_a_phone(open_page, site, tmp_path):
    url, ids = site
    page = open_page(width=390, height=844)
    sign_in(page, url, ids["editor"])
    image = tmp_path / ("Averyverylongfilenamewithoutbreaks" * 4 + ".png")
    Image.new("RGB", (300, 200), (20, 90, 160)).save(image)
    page.goto(url + "/editor/media/")
    page.set_input_files("#images", str(image))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator(".media-table")).to_be_visible()
    for path in [
        "/editor/",
        "/editor/media/",
        "/editor/categories/",
        "/editor/tags/",
        f"/editor/posts/{ids['long']}/revisions",
        "/",
        f"/posts/{ids['code']}",
    ]:
        page.goto(url + path)
        assert page_width(page) == 390, path
    # The address box fills its cell, in a font as large as the text around it, nearly.
    page.goto(url + "/editor/media/")
    box, cell, size = page.evaluate(
        """() => { const input = document.querySelector('.media-address input');
            return [input.getBoundingClientRect().width,
                    input.parentElement.clientWidth,
                    parseFloat(getComputedStyle(input).fontSize)]; }"""
    )
    assert box >= cell - 2 * 8 - 1 and size >= 14


def test_wide_editor_tables_keep_short_columns_whole(open_page, site):
    url, ids = site
    page = open_page(width=1280)
    sign_in(page, url, ids["editor"])
    assert page_width(page) == 1280
    # A 300-character title wraps; the date next to it stays on one line.
    heights = page.evaluate(
        """() => [...document.querySelectorAll('.posts-table time')]
            .map(time => time.getClientRects().length)"""
    )
    assert heights and set(heights) == {1}


def test_code_is_readable_and_scrolls_inside_its_block(open_page, site):
    url, ids = site
    page = open_page(width=390, height=844)
    page.goto(url + f"/posts/{ids['code']}")
    prose, block, inline, scrolls = page.evaluate(
        """() => {
            const size = sel => parseFloat(getComputedStyle(document.querySelector(sel)).fontSize);
            // The code block's scroll region (focusable, for the keyboard) is what scrolls.
            const region = document.querySelector('.prose pre').closest('.scroll');
            return [size('.prose'), size('.prose pre code'), size('.prose p code'),
                    region.scrollWidth > region.clientWidth];
        }"""
    )
    assert block >= 0.8 * prose and inline >= 0.8 * prose and block >= 15
    assert scrolls and page_width(page) == 390


def test_related_posts_line_up_with_the_article(open_page, site):
    url, ids = site
    page = open_page(width=1280)
    page.goto(url + f"/posts/{ids['code']}")
    article, related = (page.locator(selector).bounding_box() for selector in (".post", ".related"))
    # Centred on the article, wider than its column: three pictures in a row.
    middle = article["x"] + article["width"] / 2
    assert abs(related["x"] + related["width"] / 2 - middle) <= 1
    assert related["width"] > article["width"]


def test_author_bio_shows_its_line_breaks(open_page, site):
    url, ids = site
    page = open_page()
    page.goto(url + f"/author/{ids['editor']}")
    texts = page.locator(".archive-header .description").all_inner_texts()
    assert texts == ["Covers the harbour.\nWrites at night.", "A second paragraph."]
