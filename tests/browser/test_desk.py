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


@pytest.fixture
def photo(tmp_path):
    from PIL import Image

    path = tmp_path / "lighthouse.png"
    ramp = Image.linear_gradient("L").resize((1200, 800))
    Image.merge("RGB", (ramp, ramp.rotate(90), ramp)).save(path)
    return path


DROP = """(textarea, bytes) => {
  const file = new File([new Uint8Array(bytes)], "dropped.png", {type: "image/png"});
  const data = new DataTransfer();
  data.items.add(file);
  const options = {dataTransfer: data, bubbles: true, cancelable: true};
  textarea.dispatchEvent(new DragEvent("dragover", options));
  textarea.dispatchEvent(new DragEvent("drop", options));
}"""


def test_a_picture_goes_in_at_the_cursor_and_is_found_again_in_the_library(open_page, desk, photo):
    page = open_page()
    sign_in(page, desk)
    page.get_by_label("Title", exact=True).fill("Lighthouse")
    body = page.get_by_label("Body", exact=True)
    body.fill("First paragraph.\n\nSecond paragraph.")
    body.evaluate("el => el.setSelectionRange(16, 16)")  # after "First paragraph."

    page.get_by_role("button", name="Insert a picture…").click()
    dialog = page.get_by_role("dialog", name="Insert a picture")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Upload a new picture").set_input_files(photo)
    dialog.get_by_role("button", name="Insert").click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "Describe the picture for readers who cannot see it."
    )
    dialog.get_by_label("Description (alt text)").fill("The lighthouse at dusk")
    dialog.get_by_label("Caption").fill("Cape light")
    dialog.get_by_label("Credit").fill("Photo: Desk Test")
    dialog.get_by_role("button", name="Insert").click()
    expect(dialog).to_be_hidden()
    value = body.input_value()
    assert re.fullmatch(
        r'First paragraph\.\n\n<figure><img src="/media/[0-9a-f]{24}\.png" '
        r'alt="The lighthouse at dusk"><figcaption>Cape light <small>Photo: Desk Test</small>'
        r"</figcaption></figure>\n\nSecond paragraph\.",
        value,
    ), value
    # The caret is after the picture: typing goes on there.
    page.keyboard.type("Third.")
    assert "</figure>\n\nThird.Second paragraph." in body.input_value()

    # Later: found by its description in the picker, with a thumbnail, its words offered again.
    body.evaluate("el => el.setSelectionRange(0, 0)")
    page.get_by_role("button", name="Insert a picture…").click()
    dialog.get_by_label("Or find one in the library").fill("lighthouse dusk")
    choice = dialog.get_by_role("button", name=re.compile("lighthouse.png"))
    expect(choice).to_have_count(1)
    thumbnail = choice.locator("img")
    expect(thumbnail).to_have_js_property("complete", True)
    assert thumbnail.evaluate("img => img.naturalWidth") == 480
    choice.click()
    expect(dialog.get_by_label("Description (alt text)")).to_have_value("The lighthouse at dusk")
    expect(dialog.get_by_label("Caption")).to_have_value("Cape light")
    dialog.get_by_role("button", name="Insert").click()
    expect(dialog).to_be_hidden()
    assert body.input_value().startswith('<figure><img src="/media/')

    # Dropped on the body: the dialog asks for its description, then it goes in at the cursor.
    body.evaluate("el => el.setSelectionRange(el.value.length, el.value.length)")
    body.evaluate(DROP, list(photo.read_bytes()))
    expect(dialog).to_be_visible()
    expect(dialog.get_by_text("To upload: dropped.png")).to_be_visible()
    dialog.get_by_label("Description (alt text)").fill("Dropped in")
    dialog.get_by_role("button", name="Insert").click()
    expect(dialog).to_be_hidden()
    assert re.search(r"\n\n!\[Dropped in\]\(/media/[0-9a-f]{24}\.png\)\n$", body.input_value())

    page.get_by_label("Category", exact=True).select_option(label="Technology")
    page.get_by_label("Publish now", exact=True).check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Post published.")

    reader = open_page(width=360)
    reader.goto(desk + "/posts/lighthouse")
    pictures = reader.locator(".prose img")
    expect(pictures).to_have_count(3)
    first = pictures.first
    expect(first).to_have_attribute("srcset", re.compile(r"-480\.png 480w"))
    expect(first).to_have_attribute("width", "1200")
    expect(first).not_to_have_attribute("loading", "lazy")
    expect(pictures.nth(1)).to_have_attribute("loading", "lazy")
    expect(first).to_have_js_property("complete", True)
    # At 360 px the browser picks the 480 px copy, not the original.
    assert first.evaluate("img => img.currentSrc").endswith("-480.png")
    expect(reader.locator(".prose figcaption").first).to_have_text("Cape light Photo: Desk Test")


def test_an_embed_loads_nothing_from_its_provider_until_the_reader_clicks(open_page, serve_site):
    from blog.models import Post, User
    from blog.render import body_fields

    body = "Our video.\n\nhttps://www.youtube.com/watch?v=dQw4w9WgXcQ\n\nThe end."

    def fill(app):
        from blog.models import utcnow

        author = User(username="writer", display_name="Writer")
        category = Category(name="Video", slug="video")
        db.session.add_all([author, category])
        db.session.flush()
        db.session.add(
            Post(
                title="With a video",
                slug="with-a-video",
                status="published",
                published_at=utcnow(),
                author_id=author.id,
                category_id=category.id,
                body_source=body,
                **body_fields(body, "markdown").as_dict(),
            )  # fmt: skip
        )
        db.session.commit()

    url = serve_site(fill)
    page = open_page(width=360)
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    # No request may leave the machine: one that tried is counted, then refused.
    page.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: route.abort())
    page.goto(url + "/posts/with-a-video")
    page.wait_for_load_state("networkidle")
    card = page.locator("figure.embed")
    expect(card).to_contain_text("YouTube")
    expect(card.get_by_role("link", name=re.compile(r"youtube\.com.watch"))).to_be_visible()
    assert page.locator("iframe").count() == 0
    outside = [u for u in requests if not u.startswith(url)]
    assert outside == [], outside

    card.get_by_role("link", name=re.compile("Play it here")).click()
    frame = page.locator("figure.embed iframe")
    expect(frame).to_have_attribute("src", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ")
    expect(frame).to_have_attribute("sandbox", re.compile("allow-scripts"))
    expect(frame).to_have_attribute("title", "YouTube player")
    page.wait_for_timeout(300)
    outside = [u for u in requests if not u.startswith(url)]
    assert outside and all(u.startswith("https://www.youtube-nocookie.com/") for u in outside)


PASTE = """(textarea, bytes) => {
  const data = new DataTransfer();
  data.items.add(new File([new Uint8Array(bytes)], "image.png", {type: "image/png"}));
  textarea.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true,
                                                      cancelable: true}));
}"""


def test_a_pasted_picture_asks_for_its_description_and_goes_in_at_the_cursor(
    open_page, desk, photo
):
    page = open_page()
    sign_in(page, desk)
    body = page.get_by_label("Body", exact=True)
    body.fill("Above.\n\nBelow.")
    body.evaluate("el => el.setSelectionRange(6, 6)")
    body.evaluate(PASTE, list(photo.read_bytes()))
    dialog = page.get_by_role("dialog", name="Insert a picture")
    expect(dialog.get_by_text("To upload: image.png")).to_be_visible()
    expect(dialog.get_by_label("Description (alt text)")).to_be_focused()
    page.keyboard.type("A pasted chart")
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    assert re.fullmatch(
        r"Above\.\n\n!\[A pasted chart\]\(/media/[0-9a-f]{24}\.png\)\n\nBelow\.", body.input_value()
    )
