"""Backup and restore on PostgreSQL: pg_dump's snapshot, a restore switched in one transaction.

Run under .ci/postgres (BLOG_TEST_DATABASE_URL); tests/test_backup.py and
tests/test_restore_holes.py hold the same checks for SQLite. Under CI pg_dump, pg_restore
and psql must be there: a missing one fails these tests rather than skipping them.
"""

import hashlib
import json
import os
import signal
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text

from blog.extensions import db
from blog.models import Post
from blog.transfer import postgres as pg
from tests.conftest import Content, make_app, postgres
from tests.test_backup import (
    STEM,
    filled,
    media_files,
    rewrite,
    rows_of_every_table,
    wait_until,
)
from tests.test_shared_stamp import changed, listening

__all__ = ["filled"]  # a fixture, used by name
pytestmark = pytest.mark.skipif(
    postgres is None, reason="PostgreSQL only (tests/test_backup.py covers SQLite)"
)
ROOT = Path(__file__).resolve().parent.parent


def content_state(app) -> tuple[dict, dict]:
    """Every row but the content version (a restore raises it), and every upload."""
    rows = rows_of_every_table(app)
    rows.pop("content_version")
    return rows, media_files(app)


def scratch_databases() -> list[str]:
    rows = postgres.execute(
        "SELECT datname FROM pg_database WHERE datname LIKE %s", postgres.prefix + "%\\_restore\\_%"
    )
    rows += postgres.execute(
        "SELECT datname FROM pg_database WHERE datname LIKE %s", postgres.prefix + "%\\_schema\\_%"
    )
    return [name for (name,) in rows]


@pytest.fixture
def sites(tmp_path_factory):
    """Builds more sites over databases of their own (migrated, or with no table at all)."""
    built = []

    def build(migrated=True, **config):
        folder = tmp_path_factory.mktemp("site")
        if migrated:
            app = make_app(folder, **config)
        else:
            app = make_app(folder, DATABASE_URL=postgres.empty_for_folder(folder), **config)
        built.append((folder, app))
        return app

    yield build
    for folder, app in built:
        app.extensions["content_stamp"].close()
        with app.app_context():
            db.engine.dispose()
        postgres.drop_folder(folder)


@pytest.fixture
def archive(filled, tmp_path):
    path = tmp_path / "backups" / "blog.tar.gz"
    result = filled.test_cli_runner().invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert "Backed up 3 posts" in result.output
    assert "2 media files" in result.output
    return path


def restore(site, archive: Path, *options: str):
    return site.test_cli_runner().invoke(args=["restore", str(archive), *options])


def test_archive_holds_a_dump_with_counts_and_checksums(filled, archive):
    assert archive.stat().st_mode & 0o777 == 0o600  # password hashes inside
    with tarfile.open(archive, "r:gz") as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
        contents = {name: tar.extractfile(name).read() for name in names}
    assert names[:2] == ["manifest.json", "database.pgdump"]
    assert contents["database.pgdump"].startswith(b"PGDMP")  # pg_dump's custom format
    assert manifest["engine"] == "postgresql"
    rows = rows_of_every_table(filled)
    for table in ("posts", "users", "media", "post_tags", "alembic_version", "content_version"):
        assert manifest["tables"][table] == len(rows[table])
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert set(listed) == set(names) - {"manifest.json"}
    for name, entry in listed.items():
        assert entry["sha256"] == hashlib.sha256(contents[name]).hexdigest()
    assert not list(archive.parent.glob(".backup-*"))


def test_backup_while_another_connection_writes(app, content, tmp_path, sites):
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
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "live.tar.gz")])
        most = len(written) + 1  # one post may be committed and not yet counted
        wait_until(lambda: len(written) >= most + 10)
    finally:
        stop.set()
        writer.join(30)
    assert not failures
    assert result.exit_code == 0, result.output
    site = sites(migrated=False)

    restored = restore(site, tmp_path / "live.tar.gz")  # checks its counts against the manifest

    assert restored.exit_code == 0, restored.output
    copied, live = rows_of_every_table(site), rows_of_every_table(app)
    # A prefix of the writes, every post with its tags; the site went on writing after it.
    assert 1 + least <= len(copied["posts"]) <= 1 + most
    assert len(live["posts"]) > len(copied["posts"])
    assert copied["posts"] == live["posts"][: len(copied["posts"])]
    last = copied["posts"][-1][0]
    assert copied["post_tags"] == [row for row in live["post_tags"] if row[0] <= last]


def test_round_trip_into_a_database_with_no_tables(filled, archive, sites):
    before = content_state(filled)
    site = sites(migrated=False)

    result = restore(site, archive)

    assert result.exit_code == 0, result.output
    assert content_state(site) == before
    client = site.test_client()
    assert "Ünïcödé news from 東京 🚀" in client.get("/").text
    with client.get(f"/media/{STEM}.png") as image:
        assert image.data == before[1][f"{STEM}.png"]
    # The sequences came along: new rows get new ids.
    Content(site).post("Written after the restore")
    assert "Written after the restore" in client.get("/").text
    assert not scratch_databases()
    assert not list(Path(site.config["MEDIA_FOLDER"]).parent.glob(".restore-*"))


def test_a_forced_restore_drops_every_instance_page_cache(filled, archive, sites):
    target = sites()
    Content(target).post("A post of the old site")
    url = target.config["SQLALCHEMY_DATABASE_URI"]
    other = sites(DATABASE_URL=url, CONTENT_STAMP="database")  # another machine's instance
    stamp = listening(other)
    reader = other.test_client()
    assert "A post of the old site" in reader.get("/").text
    hits = other.wsgi_app.hits
    assert "A post of the old site" in reader.get("/").text
    assert other.wsgi_app.hits == hits + 1  # served from memory

    refused = restore(target, archive)
    assert refused.exit_code == 1
    assert "already has content" in refused.output
    forced = restore(target, archive, "--force")

    assert forced.exit_code == 0, forced.output
    changed(other, stamp)
    home = reader.get("/").text
    assert "A post of the old site" not in home
    assert "Ünïcödé news from 東京 🚀" in home
    assert content_state(target) == content_state(filled)
    with target.app_context():
        comment = db.session.scalar(
            text("SELECT obj_description('content_version'::regclass, 'pg_class')")
        )
    assert comment.startswith("blog restore ")


def damage_the_dump_and_fix_the_manifest(entries):
    dump = bytearray(entries["database.pgdump"])
    dump[len(dump) // 2 : len(dump) // 2 + 512] = bytes(512)
    manifest = json.loads(entries["manifest.json"])
    for entry in manifest["files"]:
        if entry["path"] == "database.pgdump":
            entry["sha256"] = hashlib.sha256(dump).hexdigest()
    return entries | {
        "database.pgdump": bytes(dump),
        "manifest.json": json.dumps(manifest).encode(),
    }


def tamper_with_the_image(entries):
    image = bytearray(entries[f"media/{STEM}.png"])
    image[100] ^= 0x01
    return entries | {f"media/{STEM}.png": bytes(image)}


def miscount_the_posts(entries):
    manifest = json.loads(entries["manifest.json"])
    manifest["tables"]["posts"] += 1
    return entries | {"manifest.json": json.dumps(manifest).encode()}


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (tamper_with_the_image, "does not match its checksum"),
        (damage_the_dump_and_fix_the_manifest, "database in the archive"),
        (miscount_the_posts, "does not match its manifest"),
    ],
)
def test_a_bad_archive_is_refused_and_the_site_unchanged(archive, sites, damage, message):
    target = sites()
    Content(target).post("A post that must survive")
    before = content_state(target)

    result = restore(target, rewrite(archive, damage), "--force")

    assert result.exit_code == 1
    assert message in result.output, result.output
    assert "Nothing was changed" in result.output
    assert content_state(target) == before
    assert not scratch_databases()


def test_a_sqlite_backup_is_refused(archive, sites, tmp_path):
    def sqlite_engine(entries):
        manifest = json.loads(entries["manifest.json"])
        manifest["engine"] = "sqlite"
        return entries | {"manifest.json": json.dumps(manifest).encode()}

    result = restore(sites(), rewrite(archive, sqlite_engine), "--force")

    assert result.exit_code == 1
    assert "flask export and import" in result.output


def test_a_missing_or_old_pg_dump_is_named(app, runner, tmp_path):
    tools = tmp_path / "bin"
    tools.mkdir()
    app.config["PG_BIN"] = str(tools)

    missing = runner.invoke(args=["backup", str(tmp_path / "a.tar.gz")])

    assert missing.exit_code == 1
    assert "pg_dump was not found" in missing.output
    old = tools / "pg_dump"
    old.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    old.chmod(0o755)

    too_old = runner.invoke(args=["backup", str(tmp_path / "a.tar.gz")])

    assert too_old.exit_code == 1
    assert "PostgreSQL 9's" in too_old.output and "at least as new" in too_old.output
    assert not (tmp_path / "a.tar.gz").exists()
    assert not list(tmp_path.glob(".backup-*"))


def test_the_tools_match_the_server(migrated_database):
    """The pg_dump on PATH can dump the server CI starts (.ci/postgres: the newest installed)."""
    database = pg.Database(postgres.url_of(postgres.template))
    with pg.connect(database) as connection:
        major = pg.server_major(connection)
    for name in ("pg_dump", "pg_restore", "psql"):
        assert pg.tool_major(pg.tool(database, name, major)) >= major


def titles(app) -> list[str]:
    with app.app_context():
        found = sorted(db.session.scalars(select(Post.title)))
        db.session.remove()
        return found


def flask(folder: Path, url: str, *args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env={**os.environ, "BLOG_INSTANCE_PATH": str(folder), "BLOG_DATABASE_URL": url, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture
def old_site(sites):
    site = sites()
    Content(site).post("Old one")
    folder = Path(site.config["MEDIA_FOLDER"])
    folder.mkdir(parents=True)
    (folder / "eeeeeeeeeeeeeeeeeeeeeeee.gif").write_bytes(b"GIF89a old")
    return site


def check_after_next_run(site, side: str, new_titles: list[str], old_files: dict) -> None:
    folder = Path(site.config["MEDIA_FOLDER"]).parent
    result = site.test_cli_runner().invoke(args=["backup", str(folder / "next.tar.gz")])
    assert result.exit_code == 0, result.output
    assert not list(folder.glob(".restore-*"))
    assert not scratch_databases()
    if side == "old":
        assert titles(site) == ["Old one"]
        assert media_files(site) == old_files
    else:
        assert titles(site) == new_titles
        assert set(media_files(site)) == {f"{STEM}.png", f"{STEM}-480.png"}


@pytest.mark.parametrize(
    ("step", "side"),
    [("prepared", "old"), ("held", "old"), ("switched", "new"), ("removing", "new")],
)
def test_kill_at_a_step_leaves_one_site_whole(filled, archive, old_site, step, side):
    new_titles, old_files = titles(filled), media_files(old_site)
    folder = Path(old_site.config["MEDIA_FOLDER"]).parent
    url = old_site.config["SQLALCHEMY_DATABASE_URI"]

    run = flask(folder, url, "restore", "--force", str(archive), BLOG_TEST_RESTORE_KILL_AT=step)
    output = run.communicate(timeout=120)[0]

    assert run.returncode == -signal.SIGKILL, output
    assert titles(old_site) == (["Old one"] if side == "old" else new_titles)
    check_after_next_run(old_site, side, new_titles, old_files)


@pytest.mark.parametrize("moment", ["waiting for its locks", "before its commit"])
def test_kill_inside_the_switch_transaction_changes_nothing(filled, archive, old_site, moment):
    old_files = media_files(old_site)
    folder = Path(old_site.config["MEDIA_FOLDER"]).parent
    url = old_site.config["SQLALCHEMY_DATABASE_URI"]
    blocker = pg.connect(pg.Database(url))
    if moment == "waiting for its locks":
        # A writer's lock on posts: the switch waits at its first statement.
        blocker.execute("BEGIN")
        blocker.execute("LOCK TABLE posts IN ROW EXCLUSIVE MODE")
        env, wait = {}, "Lock"
    else:
        # Every table dropped, created and filled again, the stamp raised: then it sleeps.
        env, wait = {"BLOG_TEST_RESTORE_SWITCH_SECONDS": "60"}, "Timeout"
    run = flask(folder, url, "restore", "--force", str(archive), **env)
    try:
        deadline = time.monotonic() + 120
        while not postgres.execute(
            "SELECT 1 FROM pg_stat_activity WHERE application_name LIKE 'blog-restore-%%'"
            " AND wait_event_type = %s",
            wait,
        ):
            assert run.poll() is None, run.communicate()[0]
            assert time.monotonic() < deadline
            time.sleep(0.05)
        run.send_signal(signal.SIGKILL)
        run.communicate(timeout=30)
    finally:
        if moment == "waiting for its locks":
            blocker.execute("COMMIT")
        blocker.close()

    check_after_next_run(old_site, "old", [], old_files)
