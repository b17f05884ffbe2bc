"""A wide table and a long code line on a phone: regions a keyboard can reach and scroll."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from blog.demo import create_demo_posts
from blog.extensions import db
from blog.models import Category, Post, User, utcnow
from blog.render import body_fields

pytestmark = pytest.mark.browser

WIDE_BODY = (
    "A table wider than a phone, then a line of code longer than one.\n\n"
    + "| "
    + " | ".join(f"Column {n}" for n in range(12))
    + " |\n|"
    + "---|" * 12
    + "\n| "
    + " | ".join(f"value {n}" for n in range(12))
    + " |\n\n```python\nprint('"
    + "a very long line of code, " * 8
    + "')\n```\n"
)


@pytest.fixture(scope="module")
def wide_post(serve_site):
    """Serve a blog with one published post holding a wide table and a long code line."""

    def fill(app):
        create_demo_posts(1)
        post = Post(
            title="Wide things",
            slug="wide-things",
            body_source=WIDE_BODY,
            **body_fields(WIDE_BODY, "markdown").as_dict(),
            status="published",
            published_at=utcnow(),
            author_id=db.session.scalars(select(User.id)).first(),
            category=db.session.scalars(select(Category)).first(),
        )
        db.session.add(post)
        db.session.commit()

    return serve_site(fill) + "/posts/wide-things"


def test_wide_regions_are_focusable_and_pass_axe(open_page, wide_post):
    page = open_page(width=360, height=740)
    assert page.goto(wide_post).status == 200
    regions = page.locator(".prose .scroll")
    assert regions.count() == 2
    for n, label in enumerate(["Table", "Code"]):
        region = regions.nth(n)
        assert region.get_attribute("aria-label") == label
        # Wider than the phone, so it scrolls; the page itself does not.
        assert region.evaluate("el => el.scrollWidth > el.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # Reached with Tab, shown with an outline, and scrolled with the arrow keys.
    table = regions.nth(0)
    for _ in range(60):
        page.keyboard.press("Tab")
        if table.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the table's scroll region")
    outline = table.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline not in ("", "none")
    page.keyboard.press("ArrowRight")
    for _ in range(40):  # the page's CSP allows no string evaluation: poll from here
        if table.evaluate("el => el.scrollLeft") > 0:
            break
        page.wait_for_timeout(50)
    else:
        pytest.fail("the arrow key did not scroll the table's region")

    violations = Axe().run(page).response["violations"]
    found = {v["id"] for v in violations if v["impact"] in ("serious", "critical")}
    assert "scrollable-region-focusable" not in found
    assert not found, found
