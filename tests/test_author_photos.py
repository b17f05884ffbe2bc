"""Authors' photos: chosen on the profile page, shown in the byline, the author box and the
author's archive, with initials for an author without one."""

import json
import re
import shutil
import zipfile
from io import BytesIO

from sqlalchemy import select

from blog.extensions import db
from blog.models import AuthorPhoto, Media, User
from tests.conftest import make_app
from tests.helpers import csrf_token
from tests.test_body_pictures import png
from tests.test_media_details import upload


def save_profile(client, **fields):
    data = {"csrf_token": csrf_token(client, "/editor/profile"), "display_name": "Ann Reporter"}
    data |= {"bio": "Covers the harbour.", "photo_id": "0"}
    data |= fields
    return client.post("/editor/profile", data=data, content_type="multipart/form-data")


def photo_of(app, username="editor") -> Media | None:
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(username=username))
        media_id = db.session.scalar(select(AuthorPhoto.media_id).filter_by(user_id=user.id))
        return db.session.get(Media, media_id) if media_id else None


def portraits(page: str) -> list[str]:
    return re.findall(r'<img class="author-photo[^"]*"[^>]*>', page)


def test_a_photo_uploaded_on_the_profile_shows_beside_the_name(app, client, signed_in, content):
    response = save_profile(signed_in, photo=(BytesIO(png(900, 900)), "me.png"))
    assert response.status_code == 302, response.text[:2000]
    photo = photo_of(app)
    assert photo is not None and photo.width == 900
    slug = content.post("Harbour news", author="editor")
    assert 'alt="Your photo now"' in signed_in.get("/editor/profile").text
    signed_in.post("/auth/sign-out", data={"csrf_token": csrf_token(signed_in, "/editor/")})

    story = client.get(f"/posts/{slug}").text
    byline, box = portraits(story)
    for tag in (byline, box):
        assert f'src="/media/{photo.filename}"' in tag
        assert 'width="900" height="900"' in tag and 'alt=""' in tag
        assert re.search(r'srcset="[^"]*-480\.png 480w, [^"]*\.png 900w"', tag)
    assert 'sizes="2.5rem"' in byline and "loading" not in byline
    assert 'class="author-photo large"' in box and 'loading="lazy"' in box
    assert 'class="monogram' not in story
    assert "Covers the harbour." in story

    archive = client.get("/author/editor").text
    [header] = portraits(archive)
    assert 'class="author-photo large"' in header and 'width="900" height="900"' in header
    assert "<h1>Ann Reporter</h1>" in archive


def test_an_author_without_a_photo_gets_initials_not_an_empty_box(app, client, content):
    content.author("kim", display_name="Kim Lee")
    slug = content.post("Quiet day", author="kim")
    for page in (client.get(f"/posts/{slug}").text, client.get("/author/kim").text):
        assert portraits(page) == []
        assert '<span class="monogram' in page and ">KL</span>" in page


def test_a_photo_from_the_library_then_none(app, client, signed_in, content):
    item = upload(signed_in, "portrait.png")
    assert (
        f'<option value="{item.id}">portrait.png</option>' in signed_in.get("/editor/profile").text
    )
    assert save_profile(signed_in, photo_id=str(item.id)).status_code == 302
    assert photo_of(app).id == item.id
    assert f'<option selected value="{item.id}">' in signed_in.get("/editor/profile").text

    assert save_profile(signed_in, photo_id="0").status_code == 302
    assert photo_of(app) is None
    assert "No photo: your initials are shown instead." in signed_in.get("/editor/profile").text
    assert portraits(client.get("/author/editor").text) == []


def test_a_refused_profile_keeps_what_was_typed_and_says_the_file_was_not_kept(app, signed_in):
    response = save_profile(
        signed_in, display_name="", bio="Typed <bio>", photo=(BytesIO(png()), "me.png")
    )
    assert response.status_code == 422
    assert "Give the name readers see." in response.text
    assert "Typed &lt;bio&gt;</textarea>" in response.text
    assert "“me.png” was not kept: choose it again." in response.text
    assert photo_of(app) is None

    response = save_profile(signed_in, photo=(BytesIO(b"not an image"), "me.png"))
    assert response.status_code == 422
    assert "That file is not a JPEG, PNG, WebP or GIF image" in response.text
    with app.app_context():
        assert db.session.scalar(select(User.display_name).filter_by(username="editor")) != (
            "Ann Reporter"
        )


def test_an_author_photo_cannot_be_deleted_from_the_media_page(app, signed_in):
    item = upload(signed_in, "portrait.png")
    save_profile(signed_in, photo_id=str(item.id))
    library = signed_in.get("/editor/media/").text
    assert "Author photo" in library
    page = signed_in.get(f"/editor/media/{item.id}/delete")
    assert "the photo of Ann Reporter" in page.text
    token = csrf_token(signed_in, "/editor/media/")
    response = signed_in.post(f"/editor/media/{item.id}/delete", data={"csrf_token": token})
    assert response.status_code == 409
    assert photo_of(app).id == item.id


def test_the_export_carries_photos_and_descriptions_and_older_archives_still_import(
    app, signed_in, content, tmp_path, migrated_database
):
    item = upload(signed_in, "portrait.png")
    signed_in.post(
        f"/editor/media/{item.id}/",
        data={"csrf_token": csrf_token(signed_in, f"/editor/media/{item.id}/"), "alt": "Ann",
              "caption": "Ann at work.", "credit": "Photo: B."},
    )  # fmt: skip
    save_profile(signed_in, photo_id=str(item.id))
    content.post("Harbour news", author="editor")
    path = tmp_path / "site.zip"
    result = app.test_cli_runner().invoke(args=["export", str(path)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(path) as archive:
        exported = json.loads(archive.read("content.json"))
    assert exported["author_photos"] == [{"id": 1, "user_id": 1, "media_id": item.id}]
    assert exported["media"][0]["caption"] == "Ann at work."

    # A new site gets the photo and the description back.
    site = new_site(tmp_path / "copy", migrated_database)
    result = site.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert photo_of(site).filename == item.filename
    with site.app_context():
        copied = db.session.get(Media, item.id)
        assert (copied.alt, copied.caption, copied.credit) == ("Ann", "Ann at work.", "Photo: B.")
        db.engine.dispose()

    # An archive made before either existed still imports: no photos, blank descriptions.
    del exported["author_photos"], exported["counts"]["author_photos"]
    for row in exported["media"]:
        del row["alt"], row["caption"], row["credit"]
    older = tmp_path / "older.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(older, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, json.dumps(exported) if name == "content.json" else data)
    site = new_site(tmp_path / "older", migrated_database)
    result = site.test_cli_runner().invoke(args=["import", str(older)])
    assert result.exit_code == 0, result.output
    assert photo_of(site) is None
    with site.app_context():
        assert db.session.get(Media, item.id).caption == ""
        db.engine.dispose()


def new_site(folder, migrated_database):
    folder.mkdir()
    shutil.copyfile(migrated_database, folder / "blog.sqlite")
    return make_app(folder)
