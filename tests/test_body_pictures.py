"""Pictures in post bodies: the form's picture fields, the picker's endpoints, responsive markup."""

import re
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import func, select

from blog.body_images import body_snippet, responsive_images
from blog.extensions import db
from blog.models import Media, Post
from tests.helpers import csrf_token, post_form_data


def png(width=1200, height=800) -> bytes:
    ramp = Image.linear_gradient("L").resize((width, height))
    out = BytesIO()
    Image.merge("RGB", (ramp, ramp.rotate(90), ramp)).save(out, "PNG")
    return out.getvalue()


def media_rows(app) -> list[Media]:
    with app.app_context():
        rows = db.session.scalars(select(Media).order_by(Media.id)).all()
        db.session.expunge_all()
        return rows


def saved_post(app, title) -> Post:
    with app.app_context():
        post = db.session.scalar(select(Post).filter_by(title=title))
        db.session.expunge_all()
        return post


def test_without_javascript_the_picture_is_stored_and_put_at_the_end_of_the_body(
    app, client, signed_in, category_id
):
    data = post_form_data(
        signed_in, "/editor/posts/new", category_id, title="Harbour storm",
        body="The boats came in.", status="publish", body_image_alt="Boats at the quay",
        body_image_caption="The quay at noon", body_image_credit="Photo: A. Reporter",
    )  # fmt: skip
    data["body_image"] = (BytesIO(png()), "quay.png")
    response = signed_in.post("/editor/posts/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.text[:3000]
    [image] = media_rows(app)
    assert (image.alt, image.caption, image.credit) == (
        "Boats at the quay",
        "The quay at noon",
        "Photo: A. Reporter",
    )
    post = saved_post(app, "Harbour storm")
    url = f"/media/{image.filename}"
    assert post.body_source == (
        f'The boats came in.\n\n<figure><img src="{url}" alt="Boats at the quay">'
        "<figcaption>The quay at noon <small>Photo: A. Reporter</small></figcaption></figure>\n"
    )
    # What is stored stays plain: the responsive markup is made when the page is shown.
    assert "srcset" not in post.body_html
    page = client.get(f"/posts/{post.slug}").text
    tag = re.search(r'<img src="' + re.escape(url) + r'"[^>]*>', page).group(0)
    assert 'alt="Boats at the quay"' in tag
    assert f'width="{image.width}" height="{image.height}"' in tag
    assert re.search(r'srcset="[^"]*-480\.png 480w, [^"]*-960\.png 960w, [^"]*\.png 1200w"', tag)
    assert 'sizes="(min-width: 44rem) 42rem, 100vw"' in tag
    assert 'decoding="async"' in tag and "loading=" not in tag  # the first is not lazy
    assert "<small>Photo: A. Reporter</small></figcaption>" in page


def test_a_picture_without_a_description_is_refused_and_the_text_kept(app, signed_in, category_id):
    data = post_form_data(
        signed_in, "/editor/posts/new", category_id, title="No alt", body="Words kept."
    )
    data["body_image"] = (BytesIO(png()), "quay.png")
    response = signed_in.post("/editor/posts/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Describe the picture for readers who cannot see it." in response.text
    assert "“quay.png” was not kept" in response.text
    assert "Words kept.</textarea>" in response.text
    assert media_rows(app) == []


def test_a_form_refused_for_another_reason_keeps_the_picture_in_the_body(
    app, signed_in, category_id
):
    data = post_form_data(
        signed_in, "/editor/posts/new", category_id, title="", body="Body first.",
        body_image_alt="A gull",
    )  # fmt: skip
    data["body_image"] = (BytesIO(png(600, 400)), "gull.png")
    response = signed_in.post("/editor/posts/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    [image] = media_rows(app)
    assert f"Body first.\n\n![A gull](/media/{image.filename})" in response.text
    assert "“gull.png” was stored and put at the end of the body." in response.text
    # Saved again as shown (the file field is empty now): one picture, once.
    data = post_form_data(
        signed_in, "/editor/posts/new", category_id, title="Gulls",
        body=f"Body first.\n\n![A gull](/media/{image.filename})\n",
    )  # fmt: skip
    assert signed_in.post("/editor/posts/new", data=data).status_code == 302
    assert len(media_rows(app)) == 1


def test_the_picker_uploads_describes_and_reuses_a_picture(app, signed_in):
    token = csrf_token(signed_in, "/editor/posts/new")
    refused = signed_in.post(
        "/editor/media/insert",
        data={"csrf_token": token, "image": (BytesIO(png()), "pier.png"), "alt": " "},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422 and "Describe the picture" in refused.get_json()["error"]
    assert media_rows(app) == []

    answer = signed_in.post(
        "/editor/media/insert",
        data={
            "csrf_token": token,
            "image": (BytesIO(png()), "pier.png"),
            "alt": "The [old] pier",
            "body_format": "markdown",
        },
        content_type="multipart/form-data",
    ).get_json()
    [image] = media_rows(app)
    assert answer["snippet"] == rf"![The \[old\] pier](/media/{image.filename})"
    assert answer["item"]["alt"] == "The [old] pier"

    found = signed_in.get("/editor/media/library.json?q=old+pier").get_json()
    assert [item["id"] for item in found["items"]] == [image.id] and not found["more"]
    assert found["items"][0]["thumb"].endswith("-480.png")
    assert signed_in.get("/editor/media/library.json?q=lighthouse").get_json()["items"] == []

    again = signed_in.post(
        "/editor/media/insert",
        data={
            "csrf_token": token,
            "media_id": str(image.id),
            "alt": "The old pier",
            "caption": "At dusk",
            "body_format": "html",
        },
    ).get_json()
    assert again["snippet"] == (
        f'<figure><img src="/media/{image.filename}" alt="The old pier">'
        "<figcaption>At dusk</figcaption></figure>"
    )
    assert media_rows(app)[0].caption == "At dusk"


def test_the_picker_needs_a_token(app, signed_in):
    response = signed_in.post("/editor/media/insert", data={"alt": "x", "media_id": "1"})
    assert response.status_code == 400 and response.get_json()["error"] == "expired"


def test_body_snippets_escape_what_was_typed():
    assert body_snippet("/media/a.png", "markdown", 'A "b" <c>') == '![A "b" <c>](/media/a.png)'
    assert body_snippet("/media/a.png", "html", 'A "b" <c>') == (
        '<p><img src="/media/a.png" alt="A &quot;b&quot; &lt;c&gt;"></p>'
    )
    assert body_snippet("/media/a.png", "markdown", "x", credit="<b>me</b>") == (
        '<figure><img src="/media/a.png" alt="x"><figcaption>'
        "<small>&lt;b&gt;me&lt;/b&gt;</small></figcaption></figure>"
    )


@pytest.fixture
def stored(app):
    with app.app_context():
        row = Media(
            filename="ab" * 12 + ".jpg", content_type="image/jpeg", width=1600, height=900,
            variants="480,960",
        )  # fmt: skip
        db.session.add(row)
        db.session.commit()
        return row.filename


def test_responsive_images_from_the_media_rows(app, stored, count_queries):
    stem = stored.removesuffix(".jpg")
    body = (
        f'<p><img src="/media/{stem}-960.jpg" alt="one"></p>'
        '<p><img src="https://example.org/x.png" alt="two"></p>'
        f'<p><img src="/media/{stem}.jpg" alt="three" width="300"></p>'
        '<p><img src="/media/' + "cd" * 12 + '.jpg" alt="gone"></p>'
    )
    with app.test_request_context():
        url = lambda name: f"/media/{name}"  # noqa: E731
        shown, statements = count_queries(lambda: responsive_images(body, url))
    assert len(statements) == 1
    tags = re.findall(r"<img [^>]*>", shown)
    srcset = f"/media/{stem}-480.jpg 480w, /media/{stem}-960.jpg 960w, /media/{stem}.jpg 1600w"
    assert tags[0] == (
        f'<img src="/media/{stem}-960.jpg" alt="one" srcset="{srcset}" '
        'sizes="(min-width: 44rem) 42rem, 100vw" width="1600" height="900" decoding="async">'
    )
    assert tags[1] == (
        '<img src="https://example.org/x.png" alt="two" loading="lazy" decoding="async">'
    )
    # The editor's own size is kept; an image no longer in the library is left as it was.
    assert 'width="300"' in tags[2] and 'height="900"' not in tags[2] and "srcset" in tags[2]
    assert "srcset" not in tags[3] and 'loading="lazy"' in tags[3]
    assert responsive_images("<p>No pictures</p>", url) == "<p>No pictures</p>"


def test_the_picker_lists_nothing_signed_out(client):
    assert client.get("/editor/media/library.json").status_code == 302
    with client.application.app_context():
        assert db.session.scalar(select(func.count()).select_from(Media)) == 0
