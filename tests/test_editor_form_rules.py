"""The post form's rules: kept uploads, plausible dates, taken slugs, the trash, messages."""

import re
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from blog.extensions import db
from blog.models import Media
from tests.helpers import PASSWORD, csrf_token, post_form_data
from tests.test_editor import post_count, saved


@pytest.fixture
def write(signed_in, category_id):
    """Submit the post form like a browser (multipart, as its enctype says)."""

    def submit(post_id=None, expect=302, **fields):
        url = f"/editor/posts/{post_id}" if post_id else "/editor/posts/new"
        data = post_form_data(signed_in, url, category_id, **fields)
        if "image" in fields:
            data["image"] = fields["image"]
        response = signed_in.post(url, data=data, content_type="multipart/form-data")
        assert response.status_code == expect, response.text[:3000]
        return response

    return submit


def photo() -> tuple[BytesIO, str]:
    out = BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    out.seek(0)
    return out, "photo.jpg"


def media_rows(app) -> list[Media]:
    with app.app_context():
        rows = list(db.session.scalars(select(Media)))
        db.session.expunge_all()
        return rows


def stored_files(app) -> set[str]:
    folder = Path(app.config["MEDIA_FOLDER"])
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def field_error(page: str, name: str) -> str:
    """Return the error shown beside a field, or ""."""
    match = re.search(rf'<p class="error" id="{name}-error">([^<]*)</p>', page)
    return match.group(1) if match else ""


def flashed(client, response) -> str:
    return client.get(response.location).text.split('class="flashes" role="status">')[1][:300]


# 1. A featured image chosen in a form refused for other reasons


def test_image_chosen_in_a_refused_form_is_kept_and_preselected(app, write):
    response = write(title="", body="x", image=photo(), image_alt="alt kept?", expect=422)
    [item] = media_rows(app)
    assert item.original_name == "photo.jpg" and item.filename in stored_files(app)
    page = response.text
    assert field_error(page, "title")
    assert f'<option selected value="{item.id}">photo.jpg</option>' in page
    assert "“photo.jpg” was kept" in page.split('id="image_id-hint"')[1][:200]
    assert 'value="alt kept?"' in page
    # Saving again with the title, the kept image chosen, stores it once and uses it.
    write(title="Now with a title", image_id=item.id, image_alt="alt kept?")
    assert saved(app, title="Now with a title").image_id == item.id
    assert len(media_rows(app)) == 1


def test_image_without_its_description_is_kept_for_the_next_try(app, write):
    response = write(title="Flood", image=photo(), expect=422)
    assert "Describe the image" in field_error(response.text, "image_alt")
    [item] = media_rows(app)
    assert f'<option selected value="{item.id}">photo.jpg</option>' in response.text


def test_refused_file_in_a_refused_form_says_why_and_stores_nothing(app, write):
    fake = (BytesIO(b"not an image"), "fake.jpg")
    response = write(title="", image=fake, image_alt="Something", expect=422)
    assert "not a JPEG, PNG, WebP or GIF" in field_error(response.text, "image")
    assert media_rows(app) == [] and stored_files(app) == set()


def test_image_sent_while_signed_out_must_be_chosen_again(app, signed_in, category_id):
    data = post_form_data(signed_in, "/editor/posts/new", category_id, title="Late")
    with signed_in.session_transaction() as session:
        session["seen_at"] = 0  # idle for decades
    data.update(image=photo(), image_alt="A red square")
    response = signed_in.post("/editor/posts/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 401
    assert "choose the file again" in field_error(response.text, "image")
    assert media_rows(app) == [] and stored_files(app) == set()


def test_image_sent_with_a_conflict_is_kept_for_save_my_version(app, signed_in, write, category_id):
    write(title="Shared")
    stale = post_form_data(signed_in, "/editor/posts/1", category_id, title="Shared")
    write(post_id=1, title="Shared", body="Saved in tab A.")
    stale.update(image=photo(), image_alt="A red square")
    response = signed_in.post("/editor/posts/1", data=stale, content_type="multipart/form-data")
    assert response.status_code == 409
    [item] = media_rows(app)
    assert f'type="hidden" name="image_id" value="{item.id}"' in response.text


# 2. Publication dates


@pytest.mark.parametrize("typed", ["0001-01-01T00:00", "9999-12-31T23:59", "1969-12-31T23:59"])
def test_implausible_dates_are_refused_beside_publish_at(app, write, typed):
    response = write(title="When?", status="schedule", publish_at=typed, expect=422)
    last = date.today().year + 100
    assert field_error(response.text, "publish_at") == f"Choose a date from 1970 to {last}."
    assert f'value="{typed}"' in response.text
    assert post_count(app) == 0


def test_dates_at_the_ends_of_the_range_are_accepted(app, client, write):
    write(title="Old news", status="schedule", publish_at="1970-01-01T12:00")
    write(title="Far ahead", status="schedule", publish_at=f"{date.today().year + 100}-12-31T12:00")
    assert saved(app, title="Old news").published_at.year == 1970
    # Every archive link to such a date leads somewhere.
    links = re.findall(r'href="(/archive/1970/[^"]*)"', client.get("/archive/").text)
    assert links
    for link in links:
        assert client.get(link, follow_redirects=True).status_code == 200, link


@pytest.mark.parametrize("status", ["draft", "publish"])
@pytest.mark.parametrize("typed", ["2200-01-01T10:00", "not a date"])
def test_publish_at_is_read_only_for_schedule(app, write, status, typed):
    """Its hint says "Used when you choose Schedule": otherwise it refuses nothing."""
    write(title="Now", status=status, publish_at=typed)
    post = saved(app, title="Now")
    assert post.status == ("draft" if status == "draft" else "published")
    assert post.published_at is None or post.published_at.year < 2200


# 4. Slugs typed by the editor


def test_a_typed_slug_that_is_taken_is_refused_at_the_field(app, write):
    write(title="Phone review", slug="phone-review-2026", status="publish")
    write(title="Python news", status="publish")
    response = write(post_id=2, title="Python news", slug="Phone Review 2026", expect=422)
    error = field_error(response.text, "slug")
    assert "“Phone review” already has the address “phone-review-2026”" in error
    assert 'value="Phone Review 2026"' in response.text
    assert saved(app, id=2).slug == "python-news"
    # A slug made from the title still takes a number without a word.
    write(title="Phone review", status="publish")
    assert saved(app, id=3).slug == "phone-review"
    write(title="Phone review", status="publish")
    assert saved(app, id=4).slug == "phone-review-2"


def test_keeping_its_own_slug_is_no_conflict(app, write):
    write(title="Mine", slug="my-slug", status="publish")
    write(post_id=1, title="Mine, edited", slug="my-slug", status="publish")
    assert saved(app, id=1).title == "Mine, edited"


# 6. A post in the trash


def test_saving_a_trashed_post_keeps_it_in_the_trash(app, signed_in, client, write):
    write(title="Binned", status="publish")
    client.post("/editor/posts/1/trash", data={"csrf_token": csrf_token(client, "/editor/")})
    form = client.get("/editor/posts/1").text
    assert 'name="status"' not in form and "Save keeps it there" in form
    assert re.search(r'<button type="submit" form="untrash"[^>]*>Restore from trash</button>', form)
    assert re.search(r'<form method="post" action="/editor/posts/1/untrash" id="untrash">', form)
    # Even a form that asks to publish (as one opened before the trashing would) edits in place.
    response = write(post_id=1, title="Binned, typo fixed", status="publish")
    post = saved(app, id=1)
    assert post.status == "trash" and post.title == "Binned, typo fixed"
    assert "still in the trash" in flashed(client, response)
    assert client.get(f"/posts/{post.slug}").status_code == 404
    # A stale form's mistake about the status is shown with its field, not hidden.
    response = write(post_id=1, title="Binned", status="schedule", publish_at="", expect=422)
    assert field_error(response.text, "publish_at") == "Give the date and time to publish at."


# 7. The page that asks to sign in again


def test_sign_in_again_page_names_the_edit_and_keeps_the_username(
    app, signed_in, write, category_id
):
    write(title="Existing")
    data = post_form_data(
        signed_in, "/editor/posts/1", category_id, title="Existing", body="New words"
    )
    with signed_in.session_transaction() as session:
        session["seen_at"] = 0
    first = signed_in.post("/editor/posts/1", data=data)
    assert first.status_code == 401
    assert "<title>Edit post · Editor" in first.text
    assert "<h1>Edit post</h1>" in first.text
    fresh = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', first.text).group(1)
    data.update(csrf_token=fresh, reauth_username="editor", reauth_password="wrong one")
    refused = signed_in.post("/editor/posts/1", data=data)
    assert refused.status_code == 401 and "<title>Edit post · Editor" in refused.text
    assert re.search(
        r'<input id="reauth_username" name="reauth_username"[^>]* value="editor"', refused.text
    )
    assert "New words" in refused.text
    data.update(reauth_password=PASSWORD)
    assert signed_in.post("/editor/posts/1", data=data).status_code == 302


# 10. Errors in the editor's own words, the typed value shown back


def test_unreadable_date_is_shown_back_as_typed(app, write):
    response = write(title="When?", status="schedule", publish_at="2026-02-30T25:61", expect=422)
    assert re.search(
        r'<input[^>]*name="publish_at" type="text" value="2026-02-30T25:61"', response.text
    )
    assert field_error(response.text, "publish_at").startswith("Give the date and time as")
    # Understood, it goes back into a date field.
    response = write(title="", status="schedule", publish_at="2030-05-01T09:30", expect=422)
    assert re.search(
        r'name="publish_at" type="datetime-local" value="2030-05-01T09:30"', response.text
    )
    # Left empty, it stays a date field too (with its picker).
    response = write(title="", status="draft", publish_at="", expect=422)
    assert re.search(r'name="publish_at" type="datetime-local" value=""', response.text)


def test_errors_use_the_editors_own_words(app, write):
    empty = write(title="  ", expect=422).text
    assert field_error(empty, "title") == "Give the post a title."
    long = write(title="L" * 301, slug="s" * 201, excerpt="e" * 1001, expect=422).text
    assert field_error(long, "title") == "The title is longer than 300 characters."
    assert field_error(long, "slug") == "The slug is longer than 200 characters."
    assert field_error(long, "excerpt") == "The excerpt is longer than 1000 characters."
    odd = write(status="maybe", body_format="rtf", category="999", image_id="12345", expect=422)
    assert field_error(odd.text, "status") == "Choose Draft, Publish now or Schedule."
    assert field_error(odd.text, "body_format") == "Choose Markdown or HTML."
    assert field_error(odd.text, "category") == "That category no longer exists; choose another."
    assert "no longer in the library" in field_error(odd.text, "image_id")
    for default in ("This field is required", "Not a valid", "Field cannot be longer"):
        assert default not in empty + long + odd.text


# 11. The message after a save


def test_resaving_a_published_post_says_updated(app, client, write):
    assert flashed(client, write(title="News")).startswith("<p>Draft saved.")
    assert flashed(client, write(post_id=1, title="News", status="publish")).startswith(
        "<p>Post published."
    )
    assert flashed(client, write(post_id=1, title="News!", status="publish")).startswith(
        "<p>Post updated."
    )
