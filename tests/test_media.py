"""Image uploads: checked by content, stored under random names, resized, served safely."""

import re
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image, ImageSequence
from sqlalchemy import func, select, update

from blog import accounts, media
from blog.extensions import db
from blog.models import Media, Post

PASSWORD = "a long media test password"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
GPS_IFD = 0x8825


def token(client, url: str) -> str:
    """Return the CSRF token of the form on the page at url, as a browser would see it."""
    page = client.get(url)
    match = TOKEN.search(page.text)
    assert match, f"no CSRF token on {url} ({page.status_code})"
    return match.group(1)


@pytest.fixture
def editor(app, client):
    """The client, signed in as the editor through the sign-in form."""
    with app.app_context():
        user = accounts.ensure_editor_account()
        accounts.set_password(user, PASSWORD)
        db.session.commit()
    response = client.post(
        "/auth/sign-in",
        data={
            "csrf_token": token(client, "/auth/sign-in"),
            "username": "editor",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 302
    return client


# Images made in memory, the way a camera or an editor's tools would write them.


def _gradient(width: int, height: int, mode: str = "RGB") -> Image.Image:
    ramp = Image.linear_gradient("L")
    across = ramp.transpose(Image.Transpose.ROTATE_90).resize((width, height))
    return Image.merge("RGB", (ramp.resize((width, height)), across, across)).convert(mode)


def jpeg(width=800, height=600, exif=None) -> bytes:
    out = BytesIO()
    options = {"exif": exif} if exif is not None else {}
    _gradient(width, height).save(out, "JPEG", quality=90, comment=b"secret comment", **options)
    return out.getvalue()


def png_with_transparency(width=640, height=480) -> bytes:
    image = _gradient(width, height, "RGBA")
    image.paste((0, 0, 0, 0), (0, 0, width // 2, height // 2))
    out = BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def webp(width=600, height=400) -> bytes:
    out = BytesIO()
    _gradient(width, height).save(out, "WEBP", quality=80)
    return out.getvalue()


def animated_gif(width=520, height=300) -> bytes:
    frames = [Image.new("P", (width, height), color) for color in (1, 2, 3)]
    for frame in frames:
        frame.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * 756)
    out = BytesIO()
    frames[0].save(
        out, "GIF", save_all=True, append_images=frames[1:], duration=[100, 200, 300], loop=0
    )
    return out.getvalue()


def camera_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Spy Camera Co"  # Make
    exif[0x0112] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (52.0, 22.0, 30.0), 3: "E", 4: (4.0, 53.0, 0.0)})
    return exif


def upload(client, *files, status=None):
    """Upload (name, bytes) pairs through the media page's form."""
    response = client.post(
        "/editor/media/",
        data={
            "csrf_token": token(client, "/editor/media/"),
            "images": [(BytesIO(data), name) for name, data in files],
        },
        content_type="multipart/form-data",
    )
    if status is not None:
        assert response.status_code == status, response.text
    return response


def fetch(client, url: str):
    """GET a file and close the response, as a server does once it is sent."""
    response = client.get(url)
    response.close()
    return response


def all_media(app) -> list[Media]:
    with app.app_context():
        return list(db.session.scalars(select(Media).order_by(Media.id)))


def stored_files(app) -> set[str]:
    folder = Path(app.config["MEDIA_FOLDER"])
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def open_stored(app, name: str) -> Image.Image:
    """Return a stored file's (first) image, read and closed."""
    with Image.open(Path(app.config["MEDIA_FOLDER"]) / name) as image:
        image.load()
        return image


# Storing


@pytest.mark.parametrize(
    ("name", "data", "content_type", "extension"),
    [
        ("photo.jpeg", jpeg(), "image/jpeg", "jpg"),
        ("logo.png", png_with_transparency(), "image/png", "png"),
        ("picture.webp", webp(), "image/webp", "webp"),
        ("moving.gif", animated_gif(), "image/gif", "gif"),
    ],
)
def test_each_format_is_stored_under_a_random_name(
    app, editor, name, data, content_type, extension
):
    upload(editor, (name, data), status=302)
    [item] = all_media(app)
    assert re.fullmatch(rf"[0-9a-f]{{24}}\.{extension}", item.filename)
    assert item.original_name == name
    assert item.content_type == content_type
    assert item.variants == "480"
    assert stored_files(app) == {item.filename, *media.variant_files(item)}
    original = open_stored(app, item.filename)
    assert original.format == extension.upper().replace("JPG", "JPEG")
    assert (item.width, item.height) == original.size
    assert open_stored(app, media.variant_files(item)[0]).width == 480


def test_wide_image_gets_every_width(app, editor):
    upload(editor, ("wide.jpg", jpeg(2000, 1000)), status=302)
    [item] = all_media(app)
    assert item.variants == "480,960,1600"
    for name, width in zip(media.variant_files(item), (480, 960, 1600), strict=True):
        assert open_stored(app, name).size == (width, width // 2)


def test_png_keeps_its_transparency(app, editor):
    upload(editor, ("logo.png", png_with_transparency()), status=302)
    [item] = all_media(app)
    for name in [item.filename, *media.variant_files(item)]:
        image = open_stored(app, name).convert("RGBA")
        assert image.getpixel((0, 0))[3] == 0
        assert image.getpixel((image.width - 1, image.height - 1))[3] == 255


def test_animated_gif_keeps_its_frames(app, editor):
    upload(editor, ("moving.gif", animated_gif()), status=302)
    [item] = all_media(app)
    for name in [item.filename, *media.variant_files(item)]:
        with Image.open(Path(app.config["MEDIA_FOLDER"]) / name) as image:
            frames = [
                (frame.info["duration"], frame.convert("RGB").getpixel((5, 5)))
                for frame in ImageSequence.Iterator(image)
            ]
        assert frames == [(100, (255, 0, 0)), (200, (0, 255, 0)), (300, (0, 0, 255))]


def test_several_images_at_once_and_refusals_do_not_stop_the_others(app, editor):
    response = upload(
        editor, ("a.jpg", jpeg()), ("notes.png", b"just text"), ("b.webp", webp()), status=422
    )
    assert "2 images uploaded, 1 image refused" in response.text
    assert "notes.png" in response.text
    assert sorted(m.original_name for m in all_media(app)) == ["a.jpg", "b.webp"]


def test_jpeg_metadata_is_stripped_and_orientation_applied(app, editor):
    data = jpeg(900, 600, exif=camera_exif(orientation=6))
    assert Image.open(BytesIO(data)).getexif().get_ifd(GPS_IFD)
    upload(editor, ("holiday.jpg", data), status=302)
    [item] = all_media(app)
    # Orientation 6 means "rotate 90°": the stored image is upright, so portrait.
    assert (item.width, item.height) == (600, 900)
    for name in [item.filename, *media.variant_files(item)]:
        stored = open_stored(app, name)
        assert not stored.getexif()
        assert "comment" not in stored.info
        raw = (Path(app.config["MEDIA_FOLDER"]) / name).read_bytes()
        assert b"Spy Camera" not in raw
        assert b"secret comment" not in raw


# Refusing


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.png", b"Dear diary, this is not a picture at all.\n" * 20, "not a JPEG, PNG"),
        (
            "drawing.svg",
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
            b"<script>alert(1)</script></svg>",
            "SVG images are not accepted",
        ),
        ("inline.png", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "SVG"),
        ("broken.jpg", jpeg()[:3000], "damaged"),
        ("empty.jpg", b"", "That file is empty"),
    ],
)
def test_refused_uploads_leave_nothing(app, editor, name, data, message):
    response = upload(editor, (name, data), status=422)
    assert message in response.text
    assert all_media(app) == []
    assert stored_files(app) == set()


def test_choosing_no_file_is_refused(app, editor):
    response = editor.post(
        "/editor/media/",
        data={"csrf_token": token(editor, "/editor/media/")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Choose one or more images" in response.text


def test_bmp_is_refused_even_when_pillow_reads_it(app, editor):
    out = BytesIO()
    Image.new("RGB", (40, 40), "red").save(out, "BMP")
    response = upload(editor, ("red.jpg", out.getvalue()), status=422)
    assert "not a JPEG, PNG, WebP or GIF" in response.text
    assert all_media(app) == []


def test_too_large_is_refused_with_the_limit(app, editor):
    app.config["MAX_UPLOAD_BYTES"] = 1000
    response = upload(editor, ("big.jpg", jpeg()), status=422)
    assert "larger than 1000 bytes" in response.text
    assert "Up to 1000 bytes each" in response.text
    assert all_media(app) == []
    assert stored_files(app) == set()


def test_too_many_pixels_is_refused(app, editor, monkeypatch):
    monkeypatch.setattr(media, "MAX_PIXELS", 1000)
    response = upload(editor, ("big.png", png_with_transparency()), status=422)
    assert "too large" in response.text
    assert all_media(app) == []


# The post form


def post_form(client, category_id, status=None, token_from="/editor/posts/new", **fields):
    data = {
        "csrf_token": token(client, token_from),
        "title": "Flood in the valley",
        "body_format": "markdown",
        "body": "The **river** rose overnight.",
        "category": str(category_id),
        "status": "publish",
        "version": "0",
        "image_id": "0",
        "image_alt": "",
    }
    data.update(fields)
    response = client.post("/editor/posts/new", data=data, content_type="multipart/form-data")
    if status is not None:
        assert response.status_code == status, response.text
    return response


def public_page(app, client):
    with app.app_context():
        slug = db.session.scalar(select(Post.slug))
    return client.get(f"/posts/{slug}")


def test_upload_from_post_form_becomes_featured_image_with_srcset(app, editor, category_id):
    post_form(
        editor,
        category_id,
        status=302,
        image=(BytesIO(jpeg(2000, 1000)), "river.jpg"),
        image_alt="Brown water over the bridge",
    )
    [item] = all_media(app)
    page = public_page(app, editor)
    assert page.status_code == 200
    img = re.search(r'<figure class="featured">\s*<img ([^>]*)>', page.text).group(1)
    assert f'src="/media/{item.filename}"' in img
    assert 'alt="Brown water over the bridge"' in img
    srcset = re.search(r'srcset="([^"]+)"', img).group(1)
    stem = item.filename.removesuffix(".jpg")
    assert [entry.strip() for entry in srcset.split(",")] == [
        f"/media/{stem}-480.jpg 480w",
        f"/media/{stem}-960.jpg 960w",
        f"/media/{stem}-1600.jpg 1600w",
        f"/media/{item.filename} 2000w",
    ]
    for entry in srcset.split(","):
        assert fetch(editor, entry.split()[0]).status_code == 200


def test_cards_show_the_featured_image_in_one_more_query(app, editor, category_id, count_queries):
    post_form(
        editor,
        category_id,
        status=302,
        title="Flood in the valley",
        image=(BytesIO(jpeg(2000, 1000)), "river.jpg"),
        image_alt="Brown water over the bridge",
    )
    post_form(editor, category_id, status=302, title="Dry spell")
    [item] = all_media(app)
    stem = item.filename.removesuffix(".jpg")
    reader = app.test_client()
    for path in ("/", "/category/world-news", "/author/editor"):
        page = reader.get(path).text
        # Only the card of the post with an image has one, above its title.
        [(img, title)] = re.findall(
            r'<a class="card-image"[^>]*><img ([^>]*)></a>\s*'
            r'<h2 class="card-title"><a [^>]*>([^<]*)<',
            page,
        )
        assert title == "Flood in the valley" and "Dry spell" in page
        assert f'src="/media/{item.filename}"' in img
        assert f"/media/{stem}-480.jpg 480w" in img and 'width="2000" height="1000"' in img
        # The title's link names the post: the picture is decoration beside it.
        assert 'alt=""' in img
    # One query for the page's pictures; a page without any runs none.
    _, with_image = count_queries(lambda: app.test_client().get("/?page=1&x=1"))
    assert sum("FROM media" in sql for sql in with_image) == 1
    with app.app_context():
        db.session.execute(update(Post).values(image_id=None))
        db.session.commit()
    _, without = count_queries(lambda: app.test_client().get("/?page=1&x=2"))
    assert not any("FROM media" in sql for sql in without)
    assert "card-image" not in app.test_client().get("/").text


def test_post_form_image_without_alt_text_is_refused(app, editor, category_id):
    response = post_form(
        editor,
        category_id,
        status=422,
        title="Typed <title> kept",
        body="Typed body & all",
        image=(BytesIO(jpeg()), "river.jpg"),
    )
    assert "Describe the image" in response.text
    assert "Typed &lt;title&gt; kept" in response.text
    assert "Typed body &amp; all" in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Post.id))) == 0
    # The image itself was fine: it is kept in the library and chosen for the next try.
    [item] = all_media(app)
    assert item.filename in stored_files(app)
    assert f'<option selected value="{item.id}">river.jpg</option>' in response.text


def test_post_form_refused_upload_keeps_the_text(app, editor, category_id):
    response = post_form(
        editor,
        category_id,
        status=422,
        title="My typed title",
        body="My typed body",
        image=(BytesIO(b"not an image"), "fake.png"),
        image_alt="Something",
    )
    assert "not a JPEG, PNG, WebP or GIF" in response.text
    assert "My typed title" in response.text
    assert "My typed body" in response.text
    assert all_media(app) == []
    assert stored_files(app) == set()


# The media page


def test_media_page_lists_uploads_newest_first(app, editor):
    upload(editor, ("first.png", png_with_transparency()), status=302)
    upload(editor, ("second.jpg", jpeg(2000, 1000)), status=302)
    first, second = all_media(app)
    page = editor.get("/editor/media/")
    assert page.status_code == 200
    assert page.text.index("second.jpg") < page.text.index("first.png")
    assert "2000 × 1000 px" in page.text
    assert "image/jpeg" in page.text
    assert f'value="/media/{second.filename}"' in page.text
    assert f"![description](/media/{second.filename})" in page.text
    # The thumbnail is the narrowest copy.
    assert f'src="/media/{media.variant_files(second)[0]}"' in page.text
    assert 'accept="image/jpeg,image/png,image/webp,image/gif"' in page.text
    assert "multiple" in page.text
    assert page.text.count("Not used") == 2


def test_media_page_is_paginated_with_a_fixed_number_of_queries(app, editor, count_queries):
    upload(editor, *[(f"image{n}.png", png_with_transparency(20, 20)) for n in range(3)])
    _, few = count_queries(lambda: editor.get("/editor/media/"))
    upload(editor, *[(f"more{n}.png", png_with_transparency(20, 20)) for n in range(19)])
    response, many = count_queries(lambda: editor.get("/editor/media/"))
    assert len(many) == len(few)
    assert "Page 1 of 2" in response.text
    assert "more18.png" in response.text
    older = editor.get("/editor/media/?page=2")
    assert "image0.png" in older.text and "more18.png" not in older.text


def test_deleting_an_unused_image_removes_row_and_files(app, editor):
    upload(editor, ("wide.jpg", jpeg(2000, 1000)), status=302)
    [item] = all_media(app)
    url = f"/editor/media/{item.id}/delete"
    confirm = editor.get(url)
    assert confirm.status_code == 200
    assert "Delete for good" in confirm.text
    response = editor.post(url, data={"csrf_token": token(editor, url)})
    assert response.status_code == 302
    assert all_media(app) == []
    assert stored_files(app) == set()
    assert "deleted" in editor.get("/editor/media/").text


def test_delete_without_token_changes_nothing(app, editor):
    upload(editor, ("photo.jpg", jpeg()), status=302)
    [item] = all_media(app)
    files = stored_files(app)
    editor.post(f"/editor/media/{item.id}/delete")
    assert len(all_media(app)) == 1
    assert stored_files(app) == files


def test_featured_image_cannot_be_deleted(app, editor, category_id):
    post_form(
        editor,
        category_id,
        status=302,
        image=(BytesIO(jpeg()), "river.jpg"),
        image_alt="The river",
    )
    [item] = all_media(app)
    files = stored_files(app)
    assert "1 post" in editor.get("/editor/media/").text
    url = f"/editor/media/{item.id}/delete"
    page = editor.get(url)
    assert "cannot be deleted" in page.text
    assert "Flood in the valley" in page.text
    assert "Delete for good" not in page.text
    response = editor.post(url, data={"csrf_token": token(editor, "/editor/media/")})
    assert response.status_code == 409
    assert len(all_media(app)) == 1
    assert stored_files(app) == files


def test_image_shown_in_a_body_counts_as_used(app, editor, category_id):
    upload(editor, ("wide.jpg", jpeg(2000, 1000)), ("spare.png", png_with_transparency()))
    wide, spare = all_media(app)
    # A copied address of a resized copy counts too, as does a post in the trash.
    variant = media.variant_files(wide)[1]
    post_form(editor, category_id, status=302, body=f"See ![the river](/media/{variant}).")
    with app.app_context():
        db.session.execute(update(Post).values(status="trash"))
        db.session.commit()
        assert media.usage_counts([wide.id, spare.id]) == {wide.id: 1}
    assert "in the trash" in editor.get(f"/editor/media/{wide.id}/delete").text
    response = editor.post(
        f"/editor/media/{wide.id}/delete", data={"csrf_token": token(editor, "/editor/media/")}
    )
    assert response.status_code == 409
    assert len(all_media(app)) == 2


def test_usage_counts_posts_once_in_one_query(app, editor, category_id, count_queries):
    upload(editor, ("a.jpg", jpeg()), status=302)
    [item] = all_media(app)
    post_form(
        editor,
        category_id,
        status=302,
        body=f"![again](/media/{item.filename})",
        image_id=str(item.id),
        image_alt="Twice",
    )
    post_form(editor, category_id, status=302, title="Other", body="No images here.")

    def count():
        with app.app_context():
            return media.usage_counts([item.id, 999])

    counts, statements = count_queries(count)
    assert counts == {item.id: 1}
    assert len(statements) == 1


# Serving


def test_served_files_have_a_safe_type_and_long_cache(app, editor, client):
    upload(editor, ("a.jpg", jpeg()), ("b.png", png_with_transparency()), status=302)
    for item in all_media(app):
        for name in [item.filename, *media.variant_files(item)]:
            response = fetch(client, f"/media/{name}")
            assert response.status_code == 200
            assert response.mimetype == item.content_type
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert "immutable" in response.headers["Cache-Control"]
            assert "max-age=31536000" in response.headers["Cache-Control"]


@pytest.mark.parametrize(
    "path",
    [
        "/media/../blog.sqlite",
        "/media/%2e%2e/blog.sqlite",
        "/media/..%2fblog.sqlite",
        "/media/sub/aaaaaaaaaaaaaaaaaaaaaaaa.jpg",
        "/media/evil.html",
        "/media/aaaaaaaaaaaaaaaaaaaaaaaa.svg",
        "/media/aaaaaaaaaaaaaaaaaaaaaaaa.html",
        "/media/aaaaaaaaaaaaaaaaaaaaaaaa.jpg",
    ],
)
def test_only_stored_media_files_are_served(app, client, path):
    folder = Path(app.config["MEDIA_FOLDER"])
    folder.mkdir(parents=True)
    (folder / "evil.html").write_text("<script>alert(1)</script>")
    (folder / "aaaaaaaaaaaaaaaaaaaaaaaa.svg").write_text("<svg></svg>")
    (folder / "aaaaaaaaaaaaaaaaaaaaaaaa.html").write_text("<p>")
    (folder / "sub").mkdir()
    (folder / "sub" / "aaaaaaaaaaaaaaaaaaaaaaaa.jpg").write_bytes(jpeg())
    assert fetch(client, path).status_code == 404


# Anonymous visitors


def test_anonymous_visitors_cannot_use_the_media_pages(app, editor, client):
    upload(editor, ("a.jpg", jpeg()), status=302)
    [item] = all_media(app)
    files = stored_files(app)
    anonymous = app.test_client()
    sign_in_token = token(anonymous, "/auth/sign-in")
    for url in ("/editor/media/", "/editor/media/?page=2", f"/editor/media/{item.id}/delete"):
        response = anonymous.get(url)
        assert response.status_code == 302
        assert "/auth/sign-in" in response.headers["Location"]
    response = anonymous.post(
        "/editor/media/",
        data={"csrf_token": sign_in_token, "images": [(BytesIO(jpeg()), "b.jpg")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 401
    response = anonymous.post(f"/editor/media/{item.id}/delete", data={"csrf_token": sign_in_token})
    assert response.status_code == 401
    assert [m.filename for m in all_media(app)] == [item.filename]
    assert stored_files(app) == files


def test_anonymous_post_form_upload_stores_nothing(app, client, category_id):
    response = post_form(
        client,
        category_id,
        token_from="/auth/sign-in",
        image=(BytesIO(jpeg()), "river.jpg"),
        image_alt="The river",
    )
    assert response.status_code == 401
    assert all_media(app) == []
    assert stored_files(app) == set()
