"""A migrated WordPress site in Chromium: its menu, a category's breadcrumb and subcategories.

At a phone's width (360 px) and a desktop's (1280 px): the imported header menu in the file's
order, the breadcrumb News › World › Europe on a subcategory's page, the subcategory links on
its parent's, and nothing wider than the window.
"""

from pathlib import Path

import pytest

SITE = Path(__file__).parent.parent / "data" / "wordpress-site.xml"


@pytest.fixture(scope="module")
def migrated(serve_site):
    def fill(app):
        result = app.test_cli_runner().invoke(args=["import-wxr", str(SITE)])
        assert result.exit_code == 0, result.output

    return serve_site(fill)


def texts(page, selector: str) -> list[str]:
    return [text.strip() for text in page.locator(selector).all_text_contents()]


def fits(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("width", [360, 1280])
def test_the_imported_menu_and_the_category_tree(open_page, migrated, width):
    page = open_page(width=width)
    page.goto(migrated + "/")
    assert texts(page, ".site-nav a") == [
        "Home",
        "About",
        "Comments page",
        "World",
        "Lisbon",
        "Shop",
    ]
    assert fits(page)
    page.click(".site-nav a >> text=About")
    assert page.locator("article h1").text_content() == "About"
    assert page.locator(".post-byline").count() == 0

    page.goto(migrated + "/category/europe")
    crumbs = page.locator("nav.breadcrumb")
    assert crumbs.is_visible()
    assert texts(page, "nav.breadcrumb li") == ["News", "World", "Europe"]
    assert fits(page)
    page.click("nav.breadcrumb a >> text=News")
    assert page.locator(".archive-header h1").text_content() == "News"
    assert texts(page, "nav.subcategories a") == ["World"]
    assert page.locator("nav.subcategories").is_visible()
    assert fits(page)
