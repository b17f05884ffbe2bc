"""A picture's description (alt text, caption, credit) edited on the media page, reused by the
picker, and shown under a featured picture."""

import re
from io import BytesIO

from sqlalchemy import select

from blog.extensions import db
from blog.models import Media, Page, Post
from tests.helpers import Auth, csrf_token, post_form_data
from tests.test_body_pictures import png


def upload(client, name="quay.png") -> Media:
    """Upload a picture through the media page; return its row."""
    data = {"csrf_token": csrf_token(client, "/editor/media/"), "images": (BytesIO(png()), name)}
    response = client.post("/editor/media/", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.text[:2000]
    app = client.application
    with app.app_context():
        item = db.session.scalar(select(Media).order_by(Media.id.desc()))
        db.session.expunge(item)
        return item


def describe(client, media_id: int, **fields):
    url = f"/editor/media/{media_id}/"
    data = {"csrf_token": csrf_token(client, url), "alt": "", "caption": "", "credit": ""}
    return client.post(url, data=data | fields)


def stored(app, media_id: int) -> tuple[str, str, str]:
    with app.app_context():
        item = db.session.get(Media, media_id)
        return item.alt, item.caption, item.credit


def test_the_editor_describes_a_picture_and_the_picker_offers_it(app, signed_in):
    item = upload(signed_in)
    library = signed_in.get("/editor/media/").text
    assert f'href="/editor/media/{item.id}/"' in library
    assert "No description yet." in library

    response = describe(
        signed_in, item.id, alt="  Boats at   the quay ", caption="The quay at noon.",
        credit="Photo: A. Reporter",
    )  # fmt: skip
    assert response.status_code == 302
    assert stored(app, item.id) == ("Boats at the quay", "The quay at noon.", "Photo: A. Reporter")
    library = signed_in.get("/editor/media/").text
    assert (
        "Boats at the quay" in library
        and f"![Boats at the quay](/media/{item.filename})" in library
    )

    [found] = signed_in.get("/editor/media/library.json?q=boats").get_json()["items"]
    assert (found["alt"], found["caption"], found["credit"]) == stored(app, item.id)
    # The form says plainly that bodies already written keep their words.
    form = signed_in.get(f"/editor/media/{item.id}/").text
    assert "keep\n    the words they were written with" in form
    assert 'value="Boats at the quay"' in form


def test_a_description_without_alt_text_is_refused_and_what_was_typed_kept(app, signed_in):
    item = upload(signed_in)
    describe(signed_in, item.id, alt="Old words")
    response = describe(
        signed_in, item.id, alt="   ", caption="A <b>caption</b> typed", credit="Photo: B"
    )
    assert response.status_code == 422
    assert "The description was not saved" in response.text
    assert "Describe the picture for readers who cannot see it." in response.text
    assert 'aria-invalid="true"' in response.text
    # What was typed comes back, escaped; nothing was saved.
    assert "A &lt;b&gt;caption&lt;/b&gt; typed</textarea>" in response.text
    assert 'value="Photo: B"' in response.text
    assert stored(app, item.id) == ("Old words", "", "")


def test_describing_needs_a_token_and_an_existing_picture(app, signed_in):
    item = upload(signed_in)
    response = signed_in.post(f"/editor/media/{item.id}/", data={"alt": "No token"})
    assert response.status_code in (400, 422)
    assert stored(app, item.id)[0] == ""
    assert signed_in.get("/editor/media/999/").status_code == 404


def test_new_inserts_use_the_new_description_and_old_bodies_keep_theirs(
    app, signed_in, category_id
):
    item = upload(signed_in)
    token = csrf_token(signed_in, "/editor/posts/new")
    first = signed_in.post(
        "/editor/media/insert",
        data={"csrf_token": token, "media_id": item.id, "alt": "Old alt", "caption": "Old cap"},
    ).get_json()["snippet"]
    data = post_form_data(
        signed_in, "/editor/posts/new", category_id, title="Written before", body=first,
        body_format="html", status="publish",
    )  # fmt: skip
    assert signed_in.post("/editor/posts/new", data=data).status_code == 302

    describe(signed_in, item.id, alt="New alt", caption="New cap")
    with app.app_context():
        post = db.session.scalar(select(Post).filter_by(title="Written before"))
        assert "Old alt" in post.body_html and "New alt" not in post.body_html
    [offered] = signed_in.get("/editor/media/library.json").get_json()["items"]
    assert offered["alt"] == "New alt" and offered["caption"] == "New cap"


def test_a_featured_picture_shows_its_caption_and_credit(app, client, signed_in, category_id):
    item = upload(signed_in)
    describe(
        signed_in, item.id, alt="Boats", caption="Boats <in> the harbour.", credit="Photo: C. D."
    )
    data = post_form_data(
        signed_in, "/editor/posts/new", category_id, title="Storm", status="publish",
        image_id=item.id, image_alt="Boats at the quay",
    )  # fmt: skip
    assert signed_in.post("/editor/posts/new", data=data).status_code == 302
    with app.app_context():
        slug = db.session.scalar(select(Post.slug).filter_by(title="Storm"))
    signed_in.post("/auth/sign-out", data={"csrf_token": csrf_token(signed_in, "/editor/")})

    page = client.get(f"/posts/{slug}").text
    figure = re.search(r'<figure class="featured">.*?</figure>', page, re.S).group(0)
    assert 'alt="Boats at the quay"' in figure  # the post's own alt text, as before
    assert (
        "<figcaption>Boats &lt;in&gt; the harbour. "
        '<small class="credit">Photo: C. D.</small></figcaption>'
    ) in figure

    # Described again: the story shows the new words (the page cache follows the change).
    describe(signed_in_again(client), item.id, alt="Boats", credit="Photo: E. F.")
    figure = re.search(
        r'<figure class="featured">.*?</figure>', client.get(f"/posts/{slug}").text, re.S
    ).group(0)
    assert '<figcaption><small class="credit">Photo: E. F.</small></figcaption>' in figure


def signed_in_again(client):
    assert Auth(client).sign_in().status_code == 302
    return client


def test_a_featured_picture_without_caption_or_credit_has_no_empty_caption(
    app, client, signed_in, category_id
):
    item = upload(signed_in)
    data = post_form_data(
        signed_in, "/editor/posts/new", category_id, title="Bare", status="publish",
        image_id=item.id, image_alt="Boats",
    )  # fmt: skip
    signed_in.post("/editor/posts/new", data=data)
    with app.app_context():
        slug = db.session.scalar(select(Post.slug).filter_by(title="Bare"))
    assert "<figcaption" not in signed_in.get(f"/posts/{slug}").text


def test_a_page_shows_its_featured_caption_and_credit(app, client, signed_in):
    item = upload(signed_in)
    describe(signed_in, item.id, alt="Our office", caption="The newsroom.", credit="Photo: G.")
    with app.app_context():
        db.session.add(
            Page(title="About", slug="about", status="published", image_id=item.id,
                 image_alt="Our office", body_source="Hi", body_html="<p>Hi</p>")
        )  # fmt: skip
        db.session.commit()
    page = client.get("/about/").text
    assert '<figcaption>The newsroom. <small class="credit">Photo: G.</small></figcaption>' in page


def test_a_featured_upload_keeps_its_description_for_the_library(app, signed_in, category_id):
    data = post_form_data(signed_in, "/editor/posts/new", category_id, title="Harbour")
    data.update(image=(BytesIO(png()), "harbour.png"), image_alt="Boats in the harbour at dawn")
    response = signed_in.post("/editor/posts/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        image_id = db.session.scalar(select(Post.image_id).where(Post.title == "Harbour"))
    # Its Describe page starts from it: only a caption and a credit are left to add.
    assert stored(app, image_id) == ("Boats in the harbour at dawn", "", "")
    assert (
        'value="Boats in the harbour at dawn"' in signed_in.get(f"/editor/media/{image_id}/").text
    )
    from tests.test_pages import page_data

    data = page_data(signed_in, "/editor/pages/new", title="Team")
    data.update(image=(BytesIO(png()), "team.png"), image_alt="The newsroom")
    signed_in.post("/editor/pages/new", data=data, content_type="multipart/form-data")
    with app.app_context():
        image_id = db.session.scalar(select(Page.image_id).where(Page.title == "Team"))
    assert stored(app, image_id)[0] == "The newsroom"
