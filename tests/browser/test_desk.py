"""The writing desk in Chromium: autosave and restore, the leave warning, Ctrl+S, the bar."""

import re

import pytest
from playwright.sync_api import expect

from blog import accounts
from blog.extensions import db
from blog.models import Category
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(serve_site):
    """A site of its own (autosaves are per editor: no other test sees this one's)."""

    def fill(app):
        user = accounts.ensure_editor_account()
        accounts.set_password(user, PASSWORD)
        db.session.add(Category(name="Technology", slug="technology"))
        db.session.commit()

    return serve_site(fill)


def sign_in(page, url):
    page.goto(url + "/auth/sign-in?next=/editor/posts/new")
    page.get_by_label("Username", exact=True).fill("editor")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="New post", level=1)).to_be_visible()


def test_typing_is_autosaved_the_leave_warning_shows_and_reopening_restores_it(open_page, desk):
    page = open_page()
    url = desk
    sign_in(page, url)
    page.get_by_label("Title", exact=True).fill("Storm over the harbour")
    page.get_by_label("Body", exact=True).click()
    page.keyboard.type("Boats came in early as the wind rose.")
    status = page.locator("#desk-status")
    expect(status).to_contain_text(re.compile(r"Autosaved at \d\d:\d\d"), timeout=8000)
    expect(page.locator("#desk-stats")).to_have_text("8 words · 1 min read")

    dialogs = []

    def leave(dialog):
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", leave)
    page.get_by_role("navigation", name="Editor").get_by_role("link", name="Posts").click()
    expect(page.get_by_role("heading", name="Posts", level=1)).to_be_visible()
    assert dialogs == ["beforeunload"]

    page.goto(url + "/editor/posts/new")
    restore = page.get_by_role("link", name=re.compile(r"Restore the autosaved version from"))
    expect(restore).to_be_visible()
    restore.click()
    expect(page.get_by_label("Title", exact=True)).to_have_value("Storm over the harbour")
    expect(page.get_by_label("Body", exact=True)).to_have_value(
        "Boats came in early as the wind rose."
    )
    page.get_by_label("Category", exact=True).select_option(label="Technology")
    page.keyboard.press("Control+s")
    expect(page.get_by_role("status")).to_have_text("Draft saved.")
    expect(page.get_by_role("heading", name="Edit post", level=1)).to_be_visible()
    # Saved: nothing left to restore, and nothing unsaved to warn about.
    page.goto(url + "/editor/posts/new")
    expect(page.get_by_role("heading", name="New post", level=1)).to_be_visible()
    expect(page.get_by_text("Restore the autosaved version")).to_have_count(0)
    assert dialogs == ["beforeunload"]


def test_an_unchanged_form_leaves_without_a_warning(open_page, desk):
    page = open_page()
    sign_in(page, desk)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.get_by_label("Title", exact=True).click()  # a user gesture, no change
    page.get_by_role("navigation", name="Editor").get_by_role("link", name="Posts").click()
    expect(page.get_by_role("heading", name="Posts", level=1)).to_be_visible()
    assert dialogs == []


def test_save_stays_in_reach_at_360_px_and_the_font_can_be_monospace(open_page, desk):
    page = open_page(width=360, height=740)
    sign_in(page, desk)
    save = page.locator(".desk-bar").get_by_role("button", name="Save")
    for _ in range(2):
        box = save.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 740
        page.get_by_label("Body", exact=True).scroll_into_view_if_needed()
    body = page.get_by_label("Body", exact=True)
    proportional = body.evaluate("el => getComputedStyle(el).fontFamily")
    assert "mono" not in proportional.lower()
    page.get_by_label("Monospace").check()
    assert "mono" in body.evaluate("el => getComputedStyle(el).fontFamily").lower()
    page.reload()
    expect(page.get_by_label("Monospace")).to_be_checked()
