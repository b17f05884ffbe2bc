"""Backup and restore: a consistent copy while the site writes, checked whole before a restore."""

import hashlib
import io
import json
import shutil
import sqlite3
import tarfile
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
from flask_migrate import upgrade
from PIL import Image
from sqlalchemy import select, text

from blog import accounts
from blog.extensions import db
from blog.models import Comment, Media, Post, Revision, Setting, utcnow
from blog.transfer.backup import (
    BackupError,
    create_backup,
    schema_revisions,
    sqlite_file,
    unpack_backup,
)
from tests.conftest import Content, make_app
from tests.helpers import PASSWORD

# These copy the SQLite file; tests/test_backup_postgres.py has PostgreSQL's (pg_dump).
pytestmark = pytest.mark.sqlite_only("flask backup copies the SQLite file (pg_dump on PostgreSQL)")

STEM = "0123456789abcdef01234567"


def rows_of_every_table(app) -> dict[str, list[tuple]]:
    """Return every row of every table the models know, and the schema revision."""
    with app.app_context():
        tables = {table.name: table for table in db.metadata.sorted_tables}
        rows = {}
        for name, table in tables.items():
            order = ", ".join(f'"{column.name}"' for column in table.primary_key.columns)
            result = db.session.execute(text(f'SELECT * FROM "{name}" ORDER BY {order}'))
            rows[name] = [tuple(row) for row in result]
        rows["alembic_version"] = [
            tuple(row) for row in db.session.execute(text("SELECT * FROM alembic_version"))
        ]
        db.session.remove()
        return rows


def media_files(app) -> dict[str, bytes]:
    folder = Path(app.config["MEDIA_FOLDER"])
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def state(app) -> tuple[dict, dict]:
    return rows_of_every_table(app), media_files(app)


def database_file(app) -> Path:
    return Path(app.config["DATABASE_URL"].removeprefix("sqlite:///"))


def back_up(app, path: Path) -> dict:
    """Back up a site with the work function, as the command does."""
    return create_backup(path, database_file(app), app.config["MEDIA_FOLDER"])


def site_at(path: Path, template: Path | None):
    """Build a second site in path, from the migrated template database when one is given."""
    if template is not None:
        shutil.copyfile(template, path / "blog.sqlite")
    return make_app(path)


@pytest.fixture
def sites(tmp_path_factory, migrated_database):
    """Builds more sites, each in its own folder; disposes of their engines afterwards."""
    built = []

    def build(template=True):
        app = site_at(tmp_path_factory.mktemp("site"), migrated_database if template else None)
        built.append(app)
        return app

    yield build
    for app in built:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def filled(app, content):
    """The app with rows in every content table and a real image in the media folder."""
    content.post(
        "Ünïcödé news from 東京 🚀",
        category="Culture & Arts",
        tags=["Café", "日本"],
        body="Ça va? **Grüße** — 你好 🎉\n\nA second paragraph.",
    )
    content.post("Second post", tags=["Café"])
    content.post("A draft", status="draft", author="reporter")
    folder = Path(app.config["MEDIA_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    image = Image.linear_gradient("L").convert("RGB").resize((640, 360))
    image.save(folder / f"{STEM}.png")
    image.resize((480, 270)).save(folder / f"{STEM}-480.png")
    with app.app_context():
        editor = accounts.ensure_editor_account()
        accounts.set_password(editor, PASSWORD)
        accounts.issue_sign_in_token(editor)
        db.session.add_all(
            [Setting(key="title", value="Le Monde ✓"), Setting(key="posts_per_page", value="7")]
        )
        media = Media(
            filename=f"{STEM}.png",
            original_name="café.png",
            content_type="image/png",
            width=640,
            height=360,
            variants="480",
        )
        db.session.add(media)
        db.session.flush()
        post = db.session.scalars(select(Post).order_by(Post.id)).first()
        post.image_id = media.id
        post.image_alt = "A grey gradient"
        db.session.add(
            Revision(
                post_id=post.id,
                version=1,
                title="Ünïcödé, before ✎",
                body_format="markdown",
                body_source="Earlier text — ünïcödé",
                saved_at=utcnow(),
            )
        )
        db.session.add(
            Comment(
                post_id=post.id,
                wp_id=7,
                author_name="Ünïcödé reader",
                author_url="https://reader.example/",
                created_at=utcnow(),
                text="First <b>paragraph</b>.\n\nSecond — ✓",
            )
        )
        db.session.commit()
    return app


@pytest.fixture
def archive(filled, tmp_path):
    """A backup of the filled site, made through the command."""
    path = tmp_path / "backups" / "blog.tar.gz"
    result = filled.test_cli_runner().invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert "Backed up 3 posts" in result.output
    assert "2 media files" in result.output
    return path


@pytest.fixture
def target(sites):
    """A second site with content of its own: a post and an upload."""
    site = sites()
    Content(site).post("A post that must survive", tags=["Keep"])
    folder = Path(site.config["MEDIA_FOLDER"])
    folder.mkdir(parents=True)
    (folder / "ffffffffffffffffffffffff.gif").write_bytes(b"GIF89a kept")
    return site


def restore(site, archive: Path, *options: str):
    return site.test_cli_runner().invoke(args=["restore", str(archive), *options])


def test_round_trip_restores_every_row_and_file(filled, archive, sites):
    before = state(filled)
    site = sites()

    result = restore(site, archive)

    assert result.exit_code == 0, result.output
    assert "Restored" in result.output
    assert state(site) == before
    rows, files = before
    for table in ("posts", "categories", "tags", "post_tags", "users", "revisions"):
        assert rows[table], table
    for table in ("settings", "media", "sign_in_tokens", "comments"):
        assert rows[table], table
    assert set(files) == {f"{STEM}.png", f"{STEM}-480.png"}
    # The restored site serves the post and its image.
    client = site.test_client()
    assert "Ünïcödé news from 東京 🚀" in client.get("/").text
    with client.get(f"/media/{STEM}.png") as image:
        assert image.status_code == 200
        assert image.data == files[f"{STEM}.png"]


def test_archive_holds_a_manifest_with_counts_and_checksums(filled, archive):
    assert archive.stat().st_mode & 0o777 == 0o600  # password hashes inside
    with tarfile.open(archive, "r:gz") as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
        contents = {name: tar.extractfile(name).read() for name in names}
    assert names[:2] == ["manifest.json", "database.sqlite"]
    assert manifest["format"] == "blog-backup"
    assert manifest["version"] == 1
    assert manifest["engine"] == "sqlite"
    assert manifest["created_at"]
    assert manifest["schema_revision"] in schema_revisions(filled.extensions["migrate"].directory)
    rows = rows_of_every_table(filled)
    for table in ("posts", "users", "media", "post_tags", "alembic_version"):
        assert manifest["tables"][table] == len(rows[table])
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert set(listed) == set(names) - {"manifest.json"}
    assert {f"media/{STEM}.png", f"media/{STEM}-480.png"} <= set(listed)
    for name, entry in listed.items():
        assert entry["size"] == len(contents[name])
        assert entry["sha256"] == hashlib.sha256(contents[name]).hexdigest()


def wait_until(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_backup_while_another_connection_writes(app, content, tmp_path):
    content.post("Written before")
    written: list[str] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def keep_writing():
        try:
            while not stop.is_set():
                written.append(content.post(tags=["live", f"tag {len(written) % 5}"]))
        except BaseException as error:  # reported by the test below
            failures.append(error)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        wait_until(lambda: len(written) >= 10)
        least = len(written)
        manifest = back_up(app, tmp_path / "live.tar.gz")
        most = len(written) + 1  # one post may be committed and not yet counted
        wait_until(lambda: len(written) >= most + 10)
    finally:
        stop.set()
        writer.join(30)
    assert not failures

    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    assert unpack_backup(tmp_path / "live.tar.gz", unpacked) == manifest  # integrity_check ok

    def rows(path, table, order):
        with closing(sqlite3.connect(path)) as connection:
            return connection.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()

    copied = rows(unpacked / "database.sqlite", "posts", "id")
    live = rows(database_file(app), "posts", "id")
    # A prefix of the writes, every row whole; the site went on writing after it.
    assert 1 + least <= len(copied) <= 1 + most
    assert copied == live[: len(copied)]
    assert len(live) > len(copied)
    last = copied[-1][0]
    copied_tags = rows(unpacked / "database.sqlite", "post_tags", "post_id, tag_id")
    live_tags = rows(database_file(app), "post_tags", "post_id, tag_id")
    assert copied_tags == [row for row in live_tags if row[0] <= last]
    assert manifest["tables"]["posts"] == len(copied)


def test_restore_builds_a_site_that_has_no_database_yet(filled, archive, sites):
    before = state(filled)
    site = sites(template=False)
    assert not database_file(site).exists()

    result = restore(site, archive)

    assert result.exit_code == 0, result.output
    assert state(site) == before


def test_restore_over_content_needs_force(filled, archive, target):
    before = state(target)

    refused = restore(target, archive)

    assert refused.exit_code == 1
    assert "already has content" in refused.output
    assert "--force" in refused.output
    assert state(target) == before

    forced = restore(target, archive, "--force")

    assert forced.exit_code == 0, forced.output
    assert state(target) == state(filled)


def rewrite(archive: Path, change) -> Path:
    """Write a copy of the archive whose entries went through change(entries) -> entries."""
    with tarfile.open(archive, "r:gz") as tar:
        entries = {member.name: tar.extractfile(member).read() for member in tar}
    out = archive.with_name("changed.tar.gz")
    with tarfile.open(out, "w:gz") as tar:
        for name, data in change(entries).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


def flip_a_byte(archive: Path) -> Path:
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(data)
    return archive


def truncate(archive: Path) -> Path:
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    return archive


def tamper_with_the_image(entries):
    image = bytearray(entries[f"media/{STEM}.png"])
    image[100] ^= 0x01
    return entries | {f"media/{STEM}.png": bytes(image)}


def drop_the_variant(entries):
    return {name: data for name, data in entries.items() if not name.endswith("-480.png")}


def add_an_unlisted_file(entries):
    return entries | {"media/extra.png": b"not listed"}


def add_a_path_outside(entries):
    return entries | {"media/../../outside.txt": b"escape"}


def drop_the_manifest(entries):
    return {name: data for name, data in entries.items() if name != "manifest.json"}


def damage_the_database_and_fix_the_manifest(entries):
    """Break a page of the database copy and list the broken file's own checksum."""
    database = bytearray(entries["database.sqlite"])
    database[4096 : 4096 * 2] = bytes(4096)
    manifest = json.loads(entries["manifest.json"])
    for entry in manifest["files"]:
        if entry["path"] == "database.sqlite":
            entry["sha256"] = hashlib.sha256(database).hexdigest()
    return entries | {
        "database.sqlite": bytes(database),
        "manifest.json": json.dumps(manifest).encode(),
    }


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (flip_a_byte, ""),
        (truncate, "damaged or incomplete"),
        (tamper_with_the_image, "does not match its checksum"),
        (drop_the_variant, "incomplete"),
        (add_an_unlisted_file, "does not list"),
        (add_a_path_outside, "unexpected entry"),
        (drop_the_manifest, "no manifest"),
        (damage_the_database_and_fix_the_manifest, "database in the archive"),
    ],
)
def test_a_bad_archive_is_refused_and_the_site_unchanged(archive, target, damage, message):
    in_place = damage in (flip_a_byte, truncate)
    damaged = damage(archive) if in_place else rewrite(archive, damage)
    before = state(target)

    result = restore(target, damaged, "--force")

    assert result.exit_code == 1
    assert message in result.output
    assert "Nothing was changed" in result.output
    assert state(target) == before
    leftovers = [path.name for path in database_file(target).parent.iterdir()]
    assert not [name for name in leftovers if name.startswith(".restore-")]


def test_a_backup_from_a_newer_schema_is_refused(filled, tmp_path, target):
    with filled.app_context():
        db.session.execute(text("UPDATE alembic_version SET version_num = 'fffffffffff0'"))
        db.session.commit()
    back_up(filled, tmp_path / "newer.tar.gz")
    before = state(target)

    result = restore(target, tmp_path / "newer.tar.gz", "--force")

    assert result.exit_code == 1
    assert "newer version" in result.output
    assert state(target) == before


def test_restore_brings_an_older_backup_up_to_date(sites, tmp_path):
    old = sites(template=False)
    with old.app_context():
        upgrade(revision="67e1dee4ebe0")
        now = utcnow()
        db.session.execute(
            text(
                "INSERT INTO users (id, username, display_name, bio, session_token, created_at) "
                "VALUES (1, 'editor', 'The Editor', '', '', :now)"
            ),
            {"now": now},
        )
        db.session.execute(text("INSERT INTO categories VALUES (1, 'News', 'news', '')"))
        db.session.execute(
            text(
                "INSERT INTO posts (id, title, slug, body_format, body_source, body_html, excerpt,"
                " custom_excerpt, word_count, status, version, published_at, created_at,"
                " updated_at, author_id, category_id, image_alt) VALUES (1, 'From an old site',"
                " 'from-an-old-site', 'markdown', 'Old words', '<p>Old words</p>', 'Old words',"
                " 0, 2, 'published', 1, :now, :now, :now, 1, 1, '')"
            ),
            {"now": now},
        )
        db.session.commit()
        db.session.remove()
    back_up(old, tmp_path / "old.tar.gz")
    site = sites()

    result = restore(site, tmp_path / "old.tar.gz")

    assert result.exit_code == 0, result.output
    head = schema_revisions(site.extensions["migrate"].directory)
    with site.app_context():
        revision = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        post = db.session.get(Post, 1)
        assert post.title == "From an old site"
        assert post.seo_title == ""
    assert revision in head and revision != "67e1dee4ebe0"
    assert site.test_client().get("/posts/from-an-old-site").status_code == 200


def test_other_databases_are_refused(app, runner, tmp_path):
    app.config["SQLALCHEMY_DATABASE_URI"] = "mysql://blog@localhost/blog"
    (tmp_path / "some.tar.gz").write_bytes(b"")

    for args in (
        ["backup", str(tmp_path / "new.tar.gz")],
        ["restore", str(tmp_path / "some.tar.gz")],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 1
        assert "SQLite and PostgreSQL only" in result.output
    assert not (tmp_path / "new.tar.gz").exists()


def test_a_relative_sqlite_path_is_in_the_instance_folder(tmp_path):
    assert sqlite_file("sqlite:///blog.sqlite", tmp_path) == tmp_path / "blog.sqlite"
    assert sqlite_file(f"sqlite:///{tmp_path}/a.sqlite", "/elsewhere") == tmp_path / "a.sqlite"
    for url in ("sqlite://", "sqlite:///:memory:", "mysql://blog@localhost/blog"):
        with pytest.raises(BackupError):
            sqlite_file(url, tmp_path)
