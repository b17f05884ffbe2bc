"""The editor in a real browser: sign in, write, preview, publish, schedule, and lose nothing."""

import re
from datetime import date

import pytest
from PIL import Image
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

MARKDOWN_BODY = """\
## Why a real browser

Forms, tabs and uploads behave as readers' browsers make them behave:

- the preview opens in a new tab
- the image is uploaded

This sentence has **bold words** in it.
"""


def sign_in(page, site):
    """Open the editor, get sent to the sign-in page, sign in and land on the dashboard."""
    page.goto(site("/editor/"))
    expect(page).to_have_url(re.compile(r"/auth/sign-in\?next=(/|%2F)editor(/|%2F)$"))
    page.get_by_label("Username", exact=True).fill(site.username)
    page.get_by_label("Password", exact=True).fill(site.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(site("/editor/"))
    expect(page.get_by_role("heading", name="Posts", level=1)).to_be_visible()


def start_post(page, title, body, category="Technology"):
    """Open the new-post form from the dashboard and fill in what every post needs."""
    page.get_by_role("main").get_by_role("link", name="New post").click()
    expect(page.get_by_role("heading", name="New post", level=1)).to_be_visible()
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Markdown", exact=True).check()
    page.get_by_label("Body", exact=True).fill(body)
    page.get_by_label("Category", exact=True).select_option(label=category)


def home_titles(reader, site):
    """Return the post titles on the public home page, as a reader sees them."""
    reader.goto(site("/"))
    return reader.locator("main").get_by_role("heading", level=2).all_inner_texts()


@pytest.fixture
def photo(tmp_path):
    """A real PNG, wide enough for the site to make smaller copies of it."""
    path = tmp_path / "harbour.png"
    size = (1200, 800)
    gradient = Image.linear_gradient("L")
    bands = (gradient.resize(size), gradient.rotate(90).resize(size), Image.new("L", size, 120))
    Image.merge("RGB", bands).save(path)
    return path


def test_editor_writes_previews_and_publishes_a_post_a_reader_sees(
    page, open_page, editor_site, photo
):
    title = "Testing the editor in Chromium"
    sign_in(page, editor_site)
    start_post(page, title, MARKDOWN_BODY)
    page.get_by_label("Tags", exact=True).fill("Browser, Testing")
    page.get_by_label("Featured image", exact=True).set_input_files(photo)
    page.get_by_label("Image description (alt text)", exact=True).fill(
        "A gradient in blue and green"
    )

    with page.context.expect_page() as new_tab:
        page.get_by_role("button", name="Preview").click()
    preview = new_tab.value
    expect(preview.get_by_role("status")).to_contain_text("Preview: only you can see this page")
    expect(preview.get_by_role("heading", level=1)).to_have_text(title)
    prose = preview.locator(".prose")
    expect(prose.get_by_role("heading", name="Why a real browser")).to_be_visible()
    expect(prose.get_by_role("listitem")).to_have_text(
        ["the preview opens in a new tab", "the image is uploaded"]
    )
    expect(prose.get_by_role("strong")).to_have_text("bold words")
    # Nothing was saved by looking: readers still can't see the post.
    reader = open_page()
    assert title not in home_titles(reader, editor_site)
    preview.close()

    page.get_by_label("Publish now", exact=True).check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Post published.")
    expect(page.get_by_role("heading", name="Edit post", level=1)).to_be_visible()
    expect(page.get_by_role("img", name="A gradient in blue and green")).to_be_visible()

    reader = open_page()  # a fresh context: never signed in
    assert title in home_titles(reader, editor_site)
    reader.get_by_role("link", name=title).click()
    expect(reader.get_by_role("heading", level=1)).to_have_text(title)
    image = reader.get_by_role("img", name="A gradient in blue and green")
    expect(image).to_have_attribute("srcset", re.compile(r"\d+w"))
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 0
    prose = reader.locator(".prose")
    expect(prose.get_by_role("heading", name="Why a real browser")).to_be_visible()
    expect(prose.get_by_role("listitem")).to_have_count(2)
    expect(prose.get_by_role("strong")).to_have_text("bold words")
    tags = reader.locator(".post-tags")
    expect(tags.get_by_role("link", name="Browser")).to_have_attribute("href", "/tag/browser")
    expect(tags.get_by_role("link", name="Testing")).to_have_attribute("href", "/tag/testing")


def test_a_scheduled_post_stays_hidden_from_readers(page, open_page, editor_site):
    title = "Next year's almanac"
    sign_in(page, editor_site)
    start_post(page, title, "Written now, **read later**.", category="Science")
    page.get_by_label("Schedule", exact=True).check()
    page.get_by_label("Publish at", exact=True).fill(f"{date.today().year + 1}-06-01T09:00")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Post scheduled.")
    expect(page.get_by_text(re.compile(r"Scheduled for \d{4}-06-01 09:00"))).to_be_visible()
    slug = page.get_by_label("Slug", exact=True).input_value()
    assert slug

    page.get_by_role("navigation", name="Editor").get_by_role("link", name="Posts").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=title))
    expect(row.get_by_role("cell").nth(1)).to_have_text("Scheduled")

    reader = open_page()
    assert title not in home_titles(reader, editor_site)
    response = reader.goto(editor_site(f"/posts/{slug}"))
    assert response.status == 404


def test_text_typed_while_signed_out_is_kept_and_saved_after_signing_in_again(page, editor_site):
    title = "Three hours of writing"
    body = "Words I must not lose,\nline after line."
    sign_in(page, editor_site)
    start_post(page, title, body)

    # Another tab signs out while this one still shows the form.
    other = page.context.new_page()
    other.goto(editor_site("/editor/"))
    other.get_by_role("button", name=re.compile(r"^Sign out")).click()
    expect(other.get_by_role("status")).to_have_text("You are signed out.")
    other.close()

    page.get_by_role("button", name="Save").click()
    # The sign-out also dropped the session's CSRF token, so this is the "expired form" path.
    expect(page.get_by_role("alert")).to_contain_text("nothing was saved")
    expect(page.get_by_role("alert")).to_contain_text("Your text is kept below")
    expect(page.get_by_label("Title", exact=True)).to_have_value(title)
    expect(page.get_by_label("Body", exact=True)).to_have_value(body)
    again = page.get_by_role("group", name="Sign in again to save")
    again.get_by_label("Username", exact=True).fill(editor_site.username)
    again.get_by_label("Password", exact=True).fill(editor_site.password)
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_have_text("Draft saved.")
    expect(page.get_by_role("button", name=re.compile(r"^Sign out"))).to_be_visible()
    expect(page.get_by_label("Title", exact=True)).to_have_value(title)
    expect(page.get_by_label("Body", exact=True)).to_have_value(body)


def test_saving_a_published_post_unchanged_keeps_it_as_it_was(page, editor_site):
    title = "Saved twice, changed never"
    sign_in(page, editor_site)
    start_post(page, title, "Nothing to *change* here.", category="Science")
    page.get_by_label("Tags", exact=True).fill("Browser, Testing")
    page.get_by_label("Publish now", exact=True).check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Post published.")

    # Plain asserts, not expect(): the page has loaded, and a known failure shouldn't wait.
    form = {
        "tags": page.get_by_label("Tags", exact=True).input_value(),
        "category": page.get_by_label("Category", exact=True).evaluate(
            "select => select.selectedOptions[0].text"
        ),
        "publish now": page.get_by_label("Publish now", exact=True).is_checked(),
    }
    assert form == {"tags": "Browser, Testing", "category": "Science", "publish now": True}
    page.get_by_role("button", name="Save").click()
    assert page.get_by_role("status").inner_text() == "Post updated."
