"""The editor makes a publication in Chromium: a page, a menu, a lead story, no JavaScript."""

import re

import pytest
from playwright.sync_api import expect

from blog import accounts
from blog.demo import create_demo_posts
from blog.extensions import db
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(serve_site):
    def fill(app):
        user = accounts.ensure_editor_account()
        accounts.set_password(user, PASSWORD)
        create_demo_posts(8)
        db.session.commit()

    return serve_site(fill)


def sign_in(page, site):
    page.goto(site + "/editor/")
    page.get_by_label("Username", exact=True).fill("editor")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Posts", level=1)).to_be_visible()


@pytest.mark.parametrize("width", [360, 1280])
def test_page_menu_and_lead_story_without_javascript(browser, site, width):
    context = browser.new_context(
        viewport={"width": width, "height": 800}, java_script_enabled=False
    )
    context.set_default_timeout(5000)
    page = context.new_page()
    try:
        sign_in(page, site)
        title = f"About us {width}"
        # A page, published.
        page.goto(site + "/editor/pages/new")
        page.get_by_label("Title", exact=True).fill(title)
        page.get_by_label("Body", exact=True).fill("We report from the *harbour*.")
        page.get_by_label("Published", exact=True).check()
        page.get_by_role("button", name="Save").click()
        expect(page.locator(".flashes")).to_contain_text("Page published.")

        # Into the header menu, then moved to the front.
        page.goto(site + "/editor/menus/")
        header = page.locator("#header")
        header.get_by_label("Add", exact=True).select_option(label=title)
        header.get_by_role("button", name="Add to the header menu").click()
        items = page.locator("#header .menu-items li")
        expect(items.last).to_contain_text(title)
        for _ in range(10):
            if items.first.locator(".menu-label").inner_text() == title:
                break
            items.filter(has_text=title).get_by_role("button", name=re.compile("^Up")).click()
        expect(items.first.locator(".menu-label")).to_have_text(title)

        # A post that is not the newest becomes the lead story.
        page.goto(site + "/editor/?status=published")
        unpinned = page.get_by_role("button", name=re.compile("^Feature"))
        row = page.locator(".posts-table tbody tr").filter(has=unpinned).nth(2)
        story = row.locator("td").first.inner_text()
        row.get_by_role("button", name=re.compile("^Feature")).click()
        expect(page.locator(".flashes")).to_contain_text("is featured")
        # Moved to the top of the featured posts: the lead story.
        page.goto(site + "/editor/?featured=1")
        rows = page.locator(".posts-table tbody tr")
        for _ in range(10):
            if rows.first.locator("td").first.inner_text() == story:
                break
            rows.filter(has_text=story).get_by_role("button", name=re.compile("^Up")).click()
        expect(rows.first.locator(".status-featured")).to_have_text("Lead")

        reader = context.new_page()
        reader.goto(site + "/")
        nav = reader.get_by_role("navigation", name="Categories")
        expect(nav.get_by_role("link").first).to_have_text(title)
        expect(reader.locator("main .card-title a").first).to_have_text(story)
        nav.get_by_role("link", name=title).click()
        expect(reader.get_by_role("heading", level=1)).to_have_text(title)
        expect(reader.locator("main .byline")).to_have_count(0)
    finally:
        context.close()


def test_menu_items_are_dragged_to_their_place_with_javascript(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(5000)
    page = context.new_page()
    try:
        sign_in(page, site)
        page.goto(site + "/editor/menus/")
        items = page.locator("#footer .menu-items li")
        before = items.locator(".menu-label").all_inner_texts()
        assert len(before) >= 2
        items.last.drag_to(items.first, target_position={"x": 20, "y": 2})
        page.wait_for_load_state()
        expect(page.locator("#footer-heading")).not_to_contain_text("automatic")
        after = page.locator("#footer .menu-items li .menu-label").all_inner_texts()
        assert after == [before[-1], *before[:-1]]
    finally:
        context.close()
