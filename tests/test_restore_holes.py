"""Restore all or nothing under kill -9, and never trusting an archive's stored HTML.

The kill tests run the real `flask restore` in a child process and kill it (SIGKILL): at each
named step (blog.transfer.restore's test hook, BLOG_TEST_RESTORE_KILL_AT), and at random instants
(BLOG_TEST_RESTORE_KILLS of them, 8 by default). After each kill the site must be entirely
the old one or entirely the new one, pages included; the next run must leave no working
folder behind and no upload of the other site.
"""

import hashlib
import io
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from contextlib import closing
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from blog.cache import HELD, read_stamp
from blog.extensions import db
from blog.models import Media, Post, Revision
from blog.transfer import backup, restore
from tests.conftest import Content, make_app

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = "<script>alert(1)</script>"
ONERROR = '<img src="x" onerror="alert(2)">'
FORGED = f"<p>Forged</p>{SCRIPT}{ONERROR}"

sqlite_only = pytest.mark.sqlite_only("flask backup and restore copy the SQLite file")


def png(seed: int) -> bytes:
    data = io.BytesIO()
    Image.new("RGB", (4, 2), (seed % 256, 40, 90)).save(data, "PNG")
    return data.getvalue()


def fill(app, titles: list[str], stems: list[str]) -> None:
    """Add published posts and, per stem, an image with one resized copy (files and rows)."""
    content = Content(app)
    for title in titles:
        content.post(title, body=f"The words of {title}.")
    folder = Path(app.config["MEDIA_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    with app.app_context():
        for stem in stems:
            (folder / f"{stem}.png").write_bytes(png(int(stem[:4], 16)))
            (folder / f"{stem}-480.png").write_bytes(png(int(stem[:4], 16) + 1))
            db.session.add(
                Media(
                    filename=f"{stem}.png",
                    content_type="image/png",
                    width=4,
                    height=2,
                    variants="480",
                )
            )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def stem(n: int) -> str:
    return f"{n:04x}" + "ab" * 10


def files_of(folder: Path) -> dict[str, bytes]:
    media = folder / "media"
    return {
        p.relative_to(media).as_posix(): p.read_bytes() for p in media.rglob("*") if p.is_file()
    }


def site_of(folder: Path) -> tuple[list[str], set[str]]:
    """Return the posts' titles and the files the media rows name, read straight from SQLite."""
    with closing(sqlite3.connect(folder / "blog.sqlite", timeout=10)) as connection:
        titles = sorted(row[0] for row in connection.execute("SELECT title FROM posts"))
        rows = connection.execute("SELECT filename, variants FROM media").fetchall()
    named = set()
    for filename, variants in rows:
        named.add(filename)
        named.update(
            f"{filename.rsplit('.', 1)[0]}-{w}.{filename.rsplit('.', 1)[1]}"
            for w in variants.split(",")
            if w
        )
    return titles, named


@pytest.fixture
def two_sites(tmp_path, migrated_database):
    """An old site (a folder to copy) and a backup of a new one; one upload is in both."""
    shared = stem(0xEEEE)
    old, new = tmp_path / "old", tmp_path / "new"
    for folder in (old, new):
        folder.mkdir()
        shutil.copyfile(migrated_database, folder / "blog.sqlite")
    fill(make_app(old), ["Old one", "Old two"], [stem(1), stem(2), shared])
    new_site = make_app(new)
    fill(new_site, [f"New {n}" for n in range(1, 6)], [*(stem(n) for n in range(16, 28)), shared])
    archive = tmp_path / "new.tar.gz"
    result = new_site.test_cli_runner().invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    with new_site.app_context():
        db.engine.dispose()
    sides = {
        "old": (site_of(old)[0], files_of(old)),
        "new": (site_of(new)[0], files_of(new)),
    }
    return old, archive, sides


def flask(folder: Path, *args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env={**os.environ, "BLOG_INSTANCE_PATH": str(folder), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def which_side(folder: Path, sides: dict) -> str:
    """Return "old" or "new": the database is one site whole, with every file it names."""
    titles, named = site_of(folder)
    side = next((name for name, (t, _) in sides.items() if t == titles), None)
    assert side is not None, f"half-restored posts: {titles}"
    present, expected = files_of(folder), sides[side][1]
    assert named == set(expected), side
    for name in named:
        assert present.get(name) == expected[name], f"{side} site, {name} missing or wrong"
    return side


def check_pages(site, side: str, sides: dict) -> None:
    home = site.test_client().get("/").text
    for name, (titles, _) in sides.items():
        for title in titles:
            assert (title in home) == (name == side), (side, title)


def check_after_next_run(folder: Path, site, side: str, sides: dict, stamp_before: int) -> str:
    """Run the next command (a backup): the site is left whole and clean; return its output."""
    result = site.test_cli_runner().invoke(args=["backup", str(folder.parent / "next.tar.gz")])
    assert result.exit_code == 0, result.output
    assert which_side(folder, sides) == side
    assert files_of(folder) == sides[side][1]  # none of the other site's uploads are left
    assert not list(folder.glob(".restore-*"))
    stamp = read_stamp(folder / "content.stamp")
    assert stamp != HELD
    if side == "new":
        assert stamp != stamp_before
    check_pages(site, side, sides)
    return result.output


def old_site_copy(old: Path, folder: Path):
    shutil.copytree(old, folder)
    site = make_app(folder)
    site.test_client().get("/")  # the home page in this worker's cache, under the old stamp
    return site


def dispose(site) -> None:
    with site.app_context():
        db.engine.dispose()


@sqlite_only
@pytest.mark.parametrize(
    ("step", "side"),
    [
        ("started", "old"),
        ("unpacked", "old"),
        ("prepared", "old"),
        ("planned", "old"),
        ("adding", "old"),
        ("held", "old"),
        ("switched", "new"),
        ("removing", "new"),
        ("released", "new"),
    ],
)
def test_kill_at_each_step_leaves_one_site_whole(two_sites, tmp_path, step, side):
    old, archive, sides = two_sites
    folder = tmp_path / "site"
    site = old_site_copy(old, folder)
    stamp_before = read_stamp(folder / "content.stamp")

    run = flask(folder, "restore", str(archive), "--force", BLOG_TEST_RESTORE_KILL_AT=step)
    output, _ = run.communicate(timeout=120)

    assert run.returncode == -signal.SIGKILL, output
    assert which_side(folder, sides) == side
    check_pages(site, side, sides)
    leftovers = list(folder.glob(".restore-*"))
    assert [oct(p.stat().st_mode & 0o777) for p in leftovers] == ["0o700"]
    notes = check_after_next_run(folder, site, side, sides, stamp_before)
    assert f"Removed {leftovers[0]}" in notes
    dispose(site)


@sqlite_only
def test_kill_at_random_instants_leaves_one_site_whole(two_sites, tmp_path):
    old, archive, sides = two_sites
    # Each step (and each upload added) takes a moment, so that a random instant lands in the
    # switch as often as in the unpacking: a restore of a real site has thousands of uploads.
    slow = {"BLOG_TEST_RESTORE_STEP_SECONDS": "0.02"}
    folder = tmp_path / "whole"
    shutil.copytree(old, folder)
    run = flask(folder, "restore", str(archive), "--force", **slow)
    run.stdout.readline()  # "Checking ...": the command has started
    started = time.monotonic()
    output, _ = run.communicate(timeout=120)
    assert run.returncode == 0, output
    duration = time.monotonic() - started
    rng = random.Random(os.environ.get("BLOG_TEST_RESTORE_SEED", "13"))
    outcomes = []
    for n in range(int(os.environ.get("BLOG_TEST_RESTORE_KILLS", "8"))):
        folder = tmp_path / f"site-{n}"
        site = old_site_copy(old, folder)
        stamp_before = read_stamp(folder / "content.stamp")
        stop, reader = threading.Event(), site.test_client()

        def read_pages(reader=reader, stop=stop):
            while not stop.is_set():
                reader.get("/")  # fills this worker's cache while the restore runs

        readers = threading.Thread(target=read_pages)
        readers.start()
        try:
            run = flask(folder, "restore", str(archive), "--force", **slow)
            run.stdout.readline()
            time.sleep(rng.uniform(0, duration))
            run.send_signal(signal.SIGKILL)
            run.communicate(timeout=120)
        finally:
            stop.set()
            readers.join(30)
        side = which_side(folder, sides)
        check_pages(site, side, sides)
        check_after_next_run(folder, site, side, sides, stamp_before)
        outcomes.append(side if run.returncode == -signal.SIGKILL else "finished")
        dispose(site)
    print("restores killed at random instants:", {o: outcomes.count(o) for o in set(outcomes)})


@sqlite_only
def test_a_killed_backup_leaves_nothing_past_the_next_run(two_sites, tmp_path):
    old, _, _ = two_sites
    folder, backups = tmp_path / "site", tmp_path / "backups"
    shutil.copytree(old, folder)
    backups.mkdir()
    # Incompressible bytes keep the run busy (checksums, gzip) well after the database copy
    # appears, so that the kill lands inside the run even on a fast, idle machine.
    (folder / "media" / "big.bin").parent.mkdir(exist_ok=True)
    (folder / "media" / "big.bin").write_bytes(os.urandom(48 * 1024 * 1024))
    run = flask(folder, "backup", str(backups / "a.tar.gz"))
    deadline = time.monotonic() + 60
    while not list(backups.glob(".backup-*/database.sqlite")):
        assert run.poll() is None, "the backup ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.001)
    run.send_signal(signal.SIGKILL)
    run.communicate(timeout=60)
    (leftover,) = backups.glob(".backup-*")
    assert leftover.stat().st_mode & 0o777 == 0o700  # a copy of the password hashes inside

    site = make_app(folder)
    result = site.test_cli_runner().invoke(args=["backup", str(backups / "b.tar.gz")])

    assert result.exit_code == 0, result.output
    assert f"Removed {leftover}" in result.output
    assert [p.name for p in backups.iterdir()] == ["b.tar.gz"]
    dispose(site)


@sqlite_only
def test_a_running_restore_is_never_taken_for_a_dead_one(tmp_path):
    media = tmp_path / "media"
    with backup.private_folder(tmp_path, restore.PREFIX) as running:
        with pytest.raises(backup.BackupError, match="Another restore is running"):
            restore.recover(tmp_path / "blog.sqlite", media, tmp_path / "content.stamp")
        with backup.private_folder(tmp_path, backup.BACKUP_PREFIX) as copying:
            assert backup.remove_leftovers(tmp_path) == []
            assert running.is_dir() and copying.is_dir()
    assert list(tmp_path.iterdir()) == []


@sqlite_only
def test_a_restore_whose_upload_changed_bytes_puts_in_the_archives(two_sites, tmp_path):
    """The one upload both sites name, with other bytes on the old site, is the archive's."""
    old, archive, sides = two_sites
    folder = tmp_path / "site"
    site = old_site_copy(old, folder)
    shared = folder / "media" / f"{stem(0xEEEE)}.png"
    shared.write_bytes(b"damaged")
    run = flask(folder, "restore", str(archive), "--force", BLOG_TEST_RESTORE_KILL_AT="replacing")
    run.communicate(timeout=120)
    assert run.returncode == -signal.SIGKILL

    check_after_next_run(folder, site, "new", sides, 0)
    dispose(site)


# A forged archive: checksums recomputed the way each format makes them.


def forge_backup(archive: Path, *statements: str) -> Path:
    """Put script into every stored body of a backup, with its manifest made to match."""
    with tarfile.open(archive, "r:gz") as tar:
        entries = {member.name: tar.extractfile(member).read() for member in tar}
    database = archive.with_name("forged.sqlite")
    database.write_bytes(entries["database.sqlite"])
    with closing(sqlite3.connect(database)) as connection:
        connection.execute("UPDATE posts SET body_html = ?, search_text = ?", (FORGED, FORGED))
        for statement in statements:
            connection.execute(statement)
        connection.commit()
        tables = backup._row_counts(connection)  # the search index's rows follow the text
    entries["database.sqlite"] = database.read_bytes()
    manifest = json.loads(entries["manifest.json"])
    manifest["tables"] = tables
    for entry in manifest["files"]:
        data = entries[entry["path"]]
        entry["size"], entry["sha256"] = len(data), hashlib.sha256(data).hexdigest()
    entries["manifest.json"] = json.dumps(manifest).encode()
    forged = archive.with_name("forged.tar.gz")
    with tarfile.open(forged, "w:gz") as tar:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return forged


def assert_clean_post_page(site, slug: str, words: str) -> None:
    page = site.test_client().get(f"/posts/{slug}")
    assert page.status_code == 200
    assert words in page.text
    assert "Forged" not in page.text
    assert "alert(" not in page.text
    assert "onerror" not in page.text
    with site.app_context():
        for html in db.session.scalars(select(Post.body_html)):
            assert "<script" not in html and "onerror" not in html and "Forged" not in html


@pytest.fixture
def plain_backup(tmp_path, migrated_database):
    """A backup of a site with one post, and an empty site to restore it into."""
    made, target = tmp_path / "made", tmp_path / "target"
    for folder in (made, target):
        folder.mkdir()
        shutil.copyfile(migrated_database, folder / "blog.sqlite")
    site = make_app(made)
    slug = Content(site).post("Plain", body="Plain *words* here.")
    archive = tmp_path / "site.tar.gz"
    assert site.test_cli_runner().invoke(args=["backup", str(archive)]).exit_code == 0
    dispose(site)
    restored = make_app(target)
    yield archive, slug, restored
    dispose(restored)


@sqlite_only
def test_restore_renders_every_body_again_from_its_source(plain_backup):
    archive, slug, site = plain_backup

    result = site.test_cli_runner().invoke(args=["restore", str(forge_backup(archive))])

    assert result.exit_code == 0, result.output
    assert_clean_post_page(site, slug, "<em>words</em>")


@sqlite_only
def test_restore_refuses_a_database_with_code_the_blog_did_not_make(plain_backup):
    archive, slug, site = plain_backup
    # Would write the forged HTML back as soon as the body is rendered again.
    trigger = (
        "CREATE TRIGGER posts_keep AFTER UPDATE OF body_html ON posts BEGIN "
        f"UPDATE posts SET body_html = '{FORGED}' WHERE id = new.id; END"
    )
    forged = forge_backup(archive, trigger)

    result = site.test_cli_runner().invoke(args=["restore", str(forged)])

    assert result.exit_code == 1
    assert "holds a trigger this blog does not make (posts_keep)" in result.output
    assert "Nothing was changed" in result.output
    assert site.test_client().get(f"/posts/{slug}").status_code == 404
    assert not list(Path(site.config["MEDIA_FOLDER"]).parent.glob(".restore-*"))


def test_import_renders_every_body_again_from_its_source(tmp_path, app, content):
    slug = content.post("Plain", body="Plain *words* here.")
    archive = tmp_path / "site.zip"
    assert app.test_cli_runner().invoke(args=["export", str(archive)]).exit_code == 0
    with zipfile.ZipFile(archive) as zipped:
        entries = {name: zipped.read(name) for name in zipped.namelist()}
    exported = json.loads(entries["content.json"])
    for post in exported["posts"]:
        post["body_html"] = FORGED
    entries["content.json"] = json.dumps(exported).encode()
    with zipfile.ZipFile(archive, "w") as zipped:
        for name, data in entries.items():
            zipped.writestr(name, data)

    result = app.test_cli_runner().invoke(args=["import", str(archive), "--force"])

    assert result.exit_code == 0, result.output
    assert_clean_post_page(app, slug, "<em>words</em>")
    # Revisions keep a body's source only, never HTML: nothing of theirs is shown as markup.
    assert not {"body_html", "search_text"} & set(Revision.__table__.columns.keys())


@sqlite_only
def test_setup_finishes_a_killed_restore_before_the_site_serves(two_sites, tmp_path):
    old, archive, sides = two_sites
    folder = tmp_path / "site"
    site = old_site_copy(old, folder)
    run = flask(folder, "restore", str(archive), "--force", BLOG_TEST_RESTORE_KILL_AT="switched")
    run.communicate(timeout=120)
    assert read_stamp(folder / "content.stamp") == HELD  # no page cache until someone acts

    # make run and make serve both start with setup.
    result = site.test_cli_runner().invoke(args=["setup"])

    assert result.exit_code == 0, result.output
    assert "stopped after its switch: finished it" in result.output
    assert not list(folder.glob(".restore-*"))
    assert read_stamp(folder / "content.stamp") != HELD
    assert which_side(folder, sides) == "new"
    check_pages(site, "new", sides)
    dispose(site)
