"""A reader in a real browser: from the home page to a post, its category and related posts."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def card_links(page):
    """Return the post URLs listed on this page (titles may repeat, slugs don't), without
    the home page's section blocks, which repeat older posts."""
    cards = page.locator("main .card-title a:not(.front-sections *)")
    return [a.get_attribute("href") for a in cards.all()]


def test_reader_follows_a_post_its_category_and_a_related_post(page, live_site):
    page.goto(live_site("/"))
    first = page.locator("main .card-title a").first
    title = first.text_content()
    first.click()

    expect(page).to_have_url(re.compile(r"/posts/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    byline = page.locator(".post-header .byline")
    expect(byline).to_have_text(re.compile(r"^By \S"))
    expect(byline.get_by_role("link")).to_have_attribute("href", re.compile(r"^/author/"))
    post_url = page.url

    category_link = page.locator(".post-header .kicker a")
    # text_content, not inner_text: the kicker is uppercased by CSS.
    category = category_link.text_content()
    category_link.click()
    expect(page).to_have_url(re.compile(r"/category/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(category)
    expect(page.locator(".archive-header .kicker")).to_have_text("Category")
    nav = page.get_by_role("navigation", name="Categories")
    expect(nav.locator("[aria-current=page]")).to_have_text(category)
    expect(page.locator("main .card")).not_to_have_count(0)

    page.go_back()
    expect(page).to_have_url(post_url)
    related = page.get_by_role("complementary", name="Related posts")
    expect(related.get_by_role("heading", level=2)).to_have_text("Related posts")
    items = related.get_by_role("listitem")
    expect(items).to_have_count(3)
    for item in items.all():
        expect(item.locator("a[href^='/author/']")).to_have_text(re.compile(r"\S"))
        expect(item.locator("time[datetime]")).to_have_text(re.compile(r"\d{4}$"))
    link = items.first.get_by_role("heading", level=3).get_by_role("link")
    related_title = link.text_content()
    link.click()
    expect(page).not_to_have_url(post_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(related_title)


def test_pagination_moves_through_older_posts(page, live_site):
    page.goto(live_site("/"))
    first_page = card_links(page)
    assert len(first_page) == 10
    pages = page.get_by_role("navigation", name="Pages")
    expect(pages.locator("[aria-current=page]")).to_have_text("1")
    expect(pages.get_by_role("link", name="← Newer")).to_have_count(0)

    pages.get_by_role("link", name="Older →").click()
    expect(page).to_have_url(live_site("/?page=2"))
    expect(pages.locator("[aria-current=page]")).to_have_text("2")
    expect(page).to_have_title(re.compile(r"^Page 2 "))
    second_page = card_links(page)
    assert len(second_page) == 10
    assert not set(first_page) & set(second_page)

    pages.get_by_role("link", name="Page 3", exact=True).click()
    expect(page).to_have_url(live_site("/?page=3"))
    expect(pages.locator("[aria-current=page]")).to_have_text("3")
    assert not set(card_links(page)) & (set(first_page) | set(second_page))

    pages.get_by_role("link", name="← Newer").click()
    expect(page).to_have_url(live_site("/?page=2"))
    assert card_links(page) == second_page


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page, live_site):
    page.goto(live_site(live_site.post_path))
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0, "the focused skip link must be on screen"

    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    # The next Tab continues from the content, not from the masthead.
    page.keyboard.press("Tab")
    focused_in_main = page.evaluate("document.activeElement.closest('main') !== null")
    assert focused_in_main, "Tab after the skip link should land inside main"
