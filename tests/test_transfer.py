"""Export and import: a JSON-plus-files archive that gives back every row and every file."""

import hashlib
import io
import json
import shutil
import zipfile
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import func, select, text
from werkzeug.datastructures import FileStorage

from blog import accounts
from blog.extensions import db
from blog.media import save_upload
from blog.models import (
    Comment,
    FeaturedPost,
    MenuItem,
    Page,
    PageRevision,
    Post,
    User,
    utcnow,
)
from blog.posts.editing import PostInput, save_post
from blog.render import body_fields
from blog.search.results import search_posts
from blog.settings import SiteSettings, save_settings
from tests.conftest import Content, make_app
from tests.helpers import PASSWORD

# Not content: sign-in bookkeeping stays with the site, and so do the credentials.
NOT_EXPORTED_TABLES = {"sign_in_attempts", "sign_in_tokens"}
NOT_EXPORTED_COLUMNS = {"users": {"password_hash", "session_token"}}


def every_row(app) -> dict[str, list[tuple]]:
    """Return every row of every table the models know (search index aside), by primary key."""
    with app.app_context():
        rows = {}
        for table in db.metadata.sorted_tables:
            if table.name in NOT_EXPORTED_TABLES:
                continue
            columns = [
                c.name
                for c in table.columns
                if c.name not in NOT_EXPORTED_COLUMNS.get(table.name, ())
            ]
            order = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
            quoted = ", ".join(f'"{name}"' for name in columns)
            result = db.session.execute(
                text(f'SELECT {quoted} FROM "{table.name}" ORDER BY {order}')
            )
            rows[table.name] = [tuple(row) for row in result]
        db.session.remove()
        return rows


def media_files(app) -> dict[str, bytes]:
    folder = Path(app.config["MEDIA_FOLDER"])
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))}


def state(app):
    return every_row(app), media_files(app)


def upload(width: int, kind: str = "JPEG", name: str = "photo.jpg"):
    data = io.BytesIO()
    Image.linear_gradient("L").convert("RGB").resize((width, width // 2)).save(data, kind)
    data.seek(0)
    return save_upload(FileStorage(stream=data, filename=name))


@pytest.fixture
def sites(tmp_path_factory, migrated_database):
    """Builds more sites, each in its own folder with a migrated database."""
    built = []

    def build():
        folder = tmp_path_factory.mktemp("site")
        shutil.copyfile(migrated_database, folder / "blog.sqlite")
        built.append(make_app(folder))
        return built[-1]

    yield build
    for app in built:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def filled(app, content, editor):
    """A site with rows in every content table and real uploads with their resized copies."""
    content.post(
        "Ünïcödé news from 東京 🚀",
        category="Culture & Arts",
        tags=["Café", "日本"],
        body="Ça va? **Grüße** — 你好 🎉 lighthouse\n\nA second paragraph.",
    )
    content.post("Second post", tags=["Café"], author="reporter")
    content.post("A draft", status="draft", author="reporter", published_at=None)
    content.post("Trashed", status="trash")
    content.post("Scheduled", published_at=utcnow() + timedelta(days=3))
    with app.app_context():
        author = accounts.editor_account()
        zone = ZoneInfo("UTC")
        photo, drawing = upload(1200), upload(500, "PNG", "drawing.png")
        data = PostInput(
            title="Edited twice",
            body=f'<p>An <em>HTML</em> body with <img src="/media/{drawing.filename}" alt="">.</p>',
            body_format="html",
            excerpt="A hand-written excerpt ✎",
            category_id=1,
            tags="Café, Harbour",
            image_id=photo.id,
            image_alt="A grey gradient",
            status="publish",
            seo_title="SEO title",
            seo_description="SEO description",
        )
        post = save_post(None, data, author, zone)
        data.title, data.slug = "Edited twice, again", "edited-twice-again"
        save_post(post, data, author, zone)  # /posts/edited-twice redirects: an old slug
        post.wp_id = 4242
        db.session.flush()
        # Pinned posts, a page whose parent comes after it, a revision, and menus.
        db.session.add_all(
            [
                FeaturedPost(post_id=post.id, position=1),
                FeaturedPost(post_id=1, position=2),
                Page(id=1, title="Team", slug="team", parent_id=None, body_source="We *are*."),
                Page(id=2, title="About", slug="about", status="published", wp_id=77),
            ]
        )
        db.session.flush()
        team = db.session.get(Page, 1)
        team.parent_id = 2
        team.body_html = body_fields(team.body_source, "markdown").body_html
        db.session.add_all(
            [
                PageRevision(
                    page_id=1,
                    version=1,
                    title="Team",
                    body_format="markdown",
                    body_source="Old",
                    saved_at=utcnow(),
                ),
                MenuItem(menu="header", position=1, kind="page", page_id=2),
                MenuItem(menu="header", position=2, kind="category", category_id=1),
                MenuItem(menu="footer", position=1, kind="link", label="Ext", url="https://x.org/"),
                Comment(
                    post_id=post.id,
                    wp_id=11,
                    author_name="Ünïcödé reader",
                    author_url="https://reader.example/",
                    created_at=utcnow(),
                    text="First <b>paragraph</b>.\n\nSecond — ✓",
                ),
                Comment(
                    post_id=post.id,
                    wp_id=12,
                    parent_wp_id=11,
                    author_name="A reply",
                    created_at=utcnow(),
                    text="Agreed.",
                ),
            ]
        )
        save_settings(SiteSettings("Le Monde ✓", "Tagline ✓", "Europe/Paris", 7))
        db.session.commit()
    return app


def export(app, path: Path):
    return app.test_cli_runner().invoke(args=["export", str(path)])


def import_(app, path: Path, *options: str):
    return app.test_cli_runner().invoke(args=["import", str(path), *options])


@pytest.fixture
def archive(filled, tmp_path):
    path = tmp_path / "exports" / "site.zip"
    result = export(filled, path)
    assert result.exit_code == 0, result.output
    counted = "6 posts, 1 revisions, 2 categories, 3 tags, 2 images, 2 authors"
    assert f"Exported {counted}" in result.output
    return path


def test_round_trip_keeps_every_row_and_file(filled, archive, sites):
    before = state(filled)
    site = sites()

    result = import_(site, archive)

    assert result.exit_code == 0, result.output
    assert "Imported 6 posts" in result.output
    assert state(site) == before
    rows, files = before
    for table in (
        "posts",
        "revisions",
        "categories",
        "tags",
        "post_tags",
        "media",
        "settings",
        "old_slugs",
        "featured_posts",
        "pages",
        "page_revisions",
        "menu_items",
        "comments",
    ):
        assert rows[table], table
    assert len(files) == 5  # two originals, three resized copies
    # The imported site shows, searches and serves what the first one did.
    client = site.test_client()
    assert "Ünïcödé news from 東京 🚀" in client.get("/").text
    assert client.get("/posts/edited-twice").location == "/posts/edited-twice-again"
    with site.app_context():
        assert [hit.post.title for hit in search_posts("lighthouse").items] == [
            "Ünïcödé news from 東京 🚀"
        ]
        # Credentials stay behind: nobody can sign in until set-password or setup.
        assert db.session.scalars(select(User.password_hash)).all() == [None] * 2
    photo = next(name for name in files if name.endswith(".jpg") and "-" not in name)
    with client.get(f"/media/{photo}") as response:
        assert response.data == files[photo]


def test_archive_is_documented_json_with_checksums(archive):
    assert archive.stat().st_mode & 0o777 == 0o600  # drafts are private
    with zipfile.ZipFile(archive) as zipped:
        names = zipped.namelist()
        content = json.loads(zipped.read("content.json"))
    assert content["format"] == "blog-export"
    assert content["version"] == 1
    assert content["counts"]["posts"] == len(content["posts"]) == 6
    assert set(content) >= {"exported_at", "settings", "users", "categories", "tags", "media"}
    assert content["settings"]["title"] == "Le Monde ✓"
    assert "password_hash" not in content["users"][0]
    post = next(p for p in content["posts"] if p["title"] == "Edited twice, again")
    assert post["body_format"] == "html"
    assert post["custom_excerpt"] is True
    assert post["wp_id"] == 4242
    assert post["published_at"].count("-") == 2 and "+" not in post["published_at"]
    assert len(post["tags"]) == 2
    files = [f for media in content["media"] for f in media["files"]]
    assert sorted(names) == sorted(["content.json", *(f["path"] for f in files)])
    assert all(len(f["sha256"]) == 64 for f in files)


def test_import_refuses_a_site_with_content_and_changes_nothing(filled, archive, sites):
    site = sites()
    assert import_(site, archive).exit_code == 0
    before = state(site)

    result = import_(site, archive)

    assert result.exit_code == 1
    assert "already has content (6 posts, 2 categories, 3 tags, 2 images, 2 pages)" in result.output
    assert "--force" in result.output
    assert state(site) == before


def test_force_replaces_content_keeps_accounts(filled, archive, sites):
    site = sites()
    Content(site).post("An old post", tags=["Old"])
    with site.app_context():
        editor = accounts.ensure_editor_account()
        accounts.set_password(editor, PASSWORD)
        old = upload(600, "PNG", "old.png")
        old_files = [old.filename, old.filename.replace(".png", "-480.png")]
        db.session.commit()
    folder = Path(site.config["MEDIA_FOLDER"])

    result = import_(site, archive, "--force")

    assert result.exit_code == 0, result.output
    with site.app_context():
        titles = set(db.session.scalars(select(Post.title)))
        assert "An old post" not in titles and "Edited twice, again" in titles
        # The site's editor keeps their password and writes the editor's posts of the archive.
        editor = db.session.scalar(select(User).where(User.username == "editor"))
        assert editor.password_hash is not None
        assert db.session.scalar(select(func.count()).where(Post.author_id == editor.id)) == 4
    assert not any((folder / name).exists() for name in old_files)
    assert set(media_files(site)) == set(media_files(filled))


def test_importing_its_own_export_with_force_keeps_the_files(filled, archive):
    before = media_files(filled)

    result = import_(filled, archive, "--force")

    assert result.exit_code == 0, result.output
    assert media_files(filled) == before


def rewrite(archive: Path, change) -> None:
    """Rewrite the archive's entries through change(name, data) -> data (None drops it)."""
    with zipfile.ZipFile(archive) as zipped:
        entries = {name: zipped.read(name) for name in zipped.namelist()}
    with zipfile.ZipFile(archive, "w") as zipped:
        for name, data in entries.items():
            data = change(name, data)
            if data is not None:
                zipped.writestr(name, data)


def edit_content(edit):
    def change(name, data):
        if name != "content.json":
            return data
        content = json.loads(data)
        edit(content)
        return json.dumps(content)

    return change


def first_media_file(name, data):
    return data[:-10] + b"0123456789" if name.startswith("media/") and "-" not in name else data


def drop_a_media_file(name, data):
    return None if name.startswith("media/") and "-" in name else data


def set_version(content):
    content["version"] = 2


def set_format(content):
    content["format"] = "something-else"


def break_a_title(content):
    content["posts"][0]["title"] = 42


def break_a_date(content):
    content["posts"][0]["published_at"] = "yesterday"


def drop_a_post(content):
    content["posts"].pop()


def date_a_post_in_year_one(content):
    # With an offset ahead of UTC, year 1 cannot even be moved to UTC.
    content["posts"][0]["published_at"] = "0001-01-01T00:00:00+02:00"


def point_at_a_missing_category(content):
    # Checked by the database: the import has written rows and files by then.
    content["posts"][-1]["category_id"] = 999


def duplicate_a_slug(content):
    content["posts"][1]["slug"] = content["posts"][0]["slug"]


def misfile_an_old_slug(content):
    content["old_slugs"][0]["kind"] = "tag"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (first_media_file, "does not match its checksum"),
        (drop_a_media_file, "The archive is incomplete"),
        (lambda name, data: None if name == "content.json" else data, "has no content.json"),
        (lambda name, data: b"{not json" if name == "content.json" else data, "is damaged"),
        (edit_content(set_version), "format version 2; this version of the blog reads version 1"),
        (edit_content(set_format), "not an export of this blog"),
        (edit_content(break_a_title), "posts[0]: title should be str, not 42"),
        (edit_content(break_a_date), "posts[0]: published_at is not a date"),
        (edit_content(date_a_post_in_year_one), "dates run from 1970 to"),
        (edit_content(drop_a_post), "posts do not match its counts"),
        (edit_content(point_at_a_missing_category), "rows contradict each other"),
        (edit_content(duplicate_a_slug), "rows contradict each other"),
        (edit_content(misfile_an_old_slug), "old_slugs[0] (edited-twice) is damaged"),
    ],
)
def test_bad_archive_is_refused_and_changes_nothing(archive, sites, change, message):
    rewrite(archive, change)
    site = sites()
    before = state(site)

    result = import_(site, archive)

    assert result.exit_code == 1
    assert message in result.output
    assert "Nothing was changed." in result.output
    assert state(site) == before


def test_an_archive_from_before_old_slugs_imports(archive, sites):
    def older(content):
        del content["old_slugs"], content["counts"]["old_slugs"]

    rewrite(archive, edit_content(older))
    site = sites()

    result = import_(site, archive)

    assert result.exit_code == 0, result.output
    assert site.test_client().get("/posts/edited-twice").status_code == 404
    assert site.test_client().get("/posts/edited-twice-again").status_code == 200


def test_an_extra_or_unsafe_entry_is_refused(archive, sites):
    with zipfile.ZipFile(archive, "a") as zipped:
        zipped.writestr("media/../../evil.txt", b"nope")
    site = sites()

    result = import_(site, archive)

    assert result.exit_code == 1
    assert "media/../../evil.txt, which content.json lacks" in result.output
    assert not (Path(site.config["MEDIA_FOLDER"]).parent.parent / "evil.txt").exists()


@pytest.mark.parametrize("payload", [b"not a zip at all", b""])
def test_a_file_that_is_no_archive_is_refused(tmp_path, app, payload):
    path = tmp_path / "broken.zip"
    path.write_bytes(payload)

    result = import_(app, path)

    assert result.exit_code == 1
    assert "is damaged or incomplete" in result.output


def test_truncated_archive_is_refused(archive, sites):
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])

    result = import_(sites(), archive)

    assert result.exit_code == 1
    assert "damaged or incomplete" in result.output


def test_a_non_image_under_an_image_name_is_refused(archive, sites):
    with zipfile.ZipFile(archive) as zipped:
        content = json.loads(zipped.read("content.json"))
    media = content["media"][1]
    entry = media["files"][0]
    fake = b"<script>alert(1)</script>"
    entry["size"], entry["sha256"] = len(fake), hashlib.sha256(fake).hexdigest()

    def change(name, data):
        if name == "content.json":
            return json.dumps(content)
        return fake if name == entry["path"] else data

    rewrite(archive, change)
    site = sites()

    result = import_(site, archive)

    assert result.exit_code == 1
    assert f"{entry['path']} in the archive is not a valid image" in result.output
    assert media_files(site) == {}


def test_import_renders_bodies_again_through_the_sanitizer(archive, sites):
    def edit(content):
        post = content["posts"][0]
        post["body_format"] = "html"
        post["body_source"] = '<p onclick="x()">Hi</p><script>alert(1)</script>'
        post["body_html"] = "<script>alert(1)</script>"

    rewrite(archive, edit_content(edit))
    site = sites()

    assert import_(site, archive).exit_code == 0
    with site.app_context():
        post = db.session.scalars(select(Post).order_by(Post.id)).first()
        assert "<script" not in post.body_html and "onclick" not in post.body_html
        assert post.body_html.startswith("<p>Hi</p>")


def test_export_with_a_missing_media_file_says_which(filled, tmp_path):
    folder = Path(filled.config["MEDIA_FOLDER"])
    missing = next(p for p in sorted(folder.iterdir()) if "-" in p.name)
    missing.unlink()
    target = tmp_path / "site.zip"

    result = export(filled, target)

    assert result.exit_code == 1
    assert f"The media file {missing.name} is missing" in result.output
    assert not target.exists()
    assert list(tmp_path.glob(".*partial")) == []
