"""Backup and restore of a site whose media are in a bucket, against a real S3 server (conftest).

The same archive whichever held the media: a bucket site restores into a folder site and back.
A restore into a bucket is all or nothing under kill -9: at every instant each image the live
database names is in the bucket, and the next run leaves exactly the restored site's objects.
These run on SQLite, and on PostgreSQL under BLOG_TEST_DATABASE_URL.
"""

import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select, text
from werkzeug.datastructures import FileStorage

from blog.cache import HELD, read_stamp
from blog.extensions import db
from blog.media import save_upload, stored_files
from blog.models import Post
from blog.storage import StorageError, from_config
from blog.transfer import uploads
from tests.conftest import Content, make_app, postgres
from tests.test_backup import rewrite

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def sites(tmp_path_factory, migrated_database, s3, s3_endpoint):
    """Builds sites over databases of their own, each with a new bucket unless told otherwise."""
    built = []

    def build(bucket: bool = True):
        folder = tmp_path_factory.mktemp("site")
        shutil.copyfile(migrated_database, folder / "blog.sqlite")
        config = {}
        if bucket:
            config = {"S3_BUCKET": f"blog-test-{uuid.uuid4().hex[:16]}"}
            config["S3_ENDPOINT_URL"] = s3_endpoint
            s3.create_bucket(Bucket=config["S3_BUCKET"])
        app = make_app(folder, **config)
        built.append((folder, app))
        return app

    yield build
    for folder, app in built:
        store = app.extensions["media_storage"]
        if "client" in vars(store):
            store.client.close()
        with app.app_context():
            db.engine.dispose()
        if postgres is not None:
            postgres.drop_folder(folder)


def upload(app, seed: int) -> None:
    """Store an image as the editor's upload does: an original and a resized copy."""
    data = BytesIO()
    Image.new("RGB", (600, 40), (seed, 90, 160)).save(data, "PNG")
    with app.app_context():
        save_upload(FileStorage(BytesIO(data.getvalue()), filename=f"{seed}.png"))
        db.session.commit()
        db.session.remove()


def fill(app, titles: list[str], images: list[int]) -> None:
    content = Content(app)
    for title in titles:
        content.post(title, body=f"The words of {title}.")
    for seed in images:
        upload(app, seed)


def uploads_of(app, s3) -> dict[str, bytes]:
    """Every object of the site's bucket (or file of its folder), as another program sees it."""
    if bucket := app.config["S3_BUCKET"]:
        listing = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
        found = {}
        for item in listing:
            with s3.get_object(Bucket=bucket, Key=item["Key"])["Body"] as body:
                found[item["Key"]] = body.read()
        return found
    folder = Path(app.config["MEDIA_FOLDER"])
    return {p.name: p.read_bytes() for p in folder.iterdir()} if folder.is_dir() else {}


def titles_of(app) -> list[str]:
    with app.app_context():
        found = sorted(db.session.scalars(select(Post.title)))
        db.session.remove()
        return found


def named_files(app) -> set[str]:
    """The files the site's database names: every image's original and resized copies."""
    with app.app_context():
        found = {name for name, _ in stored_files()}
        db.session.remove()
        return found


def back_up(site, path: Path) -> Path:
    result = site.test_cli_runner().invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    return path


def restore(site, archive: Path, *options: str):
    return site.test_cli_runner().invoke(args=["restore", str(archive), *options])


def leftovers(site) -> list[Path]:
    return list(Path(site.config["MEDIA_FOLDER"]).parent.glob(".restore-*"))


@pytest.mark.parametrize(
    ("made_on", "restored_on"), [("bucket", "bucket"), ("bucket", "folder"), ("folder", "bucket")]
)
def test_round_trip_gives_the_same_posts_and_images(sites, s3, tmp_path, made_on, restored_on):
    made = sites(bucket=made_on == "bucket")
    fill(made, ["First", "Second"], [11, 12])
    archive = back_up(made, tmp_path / "blog.tar.gz")
    target = sites(bucket=restored_on == "bucket")

    result = restore(target, archive)

    assert result.exit_code == 0, result.output
    assert "4 media files" in result.output
    assert titles_of(target) == titles_of(made) == ["First", "Second"]
    files = uploads_of(made, s3)
    assert len(files) == 4 and named_files(made) == set(files)
    assert uploads_of(target, s3) == files
    client = target.test_client()
    for name, data in files.items():
        with client.get(f"/media/{name}") as served:
            assert served.status_code == 200
            assert served.data == data
    if restored_on == "bucket":  # nothing went to the folder of a bucket site
        assert not Path(target.config["MEDIA_FOLDER"]).exists()
    assert not leftovers(target)


def test_a_forced_restore_removes_the_objects_the_site_no_longer_names(sites, s3, tmp_path):
    made = sites()
    fill(made, ["New"], [31])
    archive = back_up(made, tmp_path / "blog.tar.gz")
    target = sites()
    fill(target, ["Old"], [32, 33])
    bucket = target.config["S3_BUCKET"]
    # Another program's object: not named as an upload, never touched.
    s3.put_object(Bucket=bucket, Key="notes/readme.txt", Body=b"mine")

    refused = restore(target, archive)
    assert refused.exit_code == 1 and "already has content" in refused.output
    result = restore(target, archive, "--force")

    assert result.exit_code == 0, result.output
    assert titles_of(target) == ["New"]
    assert uploads_of(target, s3) == uploads_of(made, s3) | {"notes/readme.txt": b"mine"}


def test_objects_alone_count_as_content(sites, s3, tmp_path):
    made = sites()
    fill(made, ["New"], [])
    archive = back_up(made, tmp_path / "blog.tar.gz")
    target = sites()
    upload(target, 41)
    with target.app_context():  # the rows go, the objects stay: still a site with images
        db.session.execute(text("DELETE FROM media"))
        db.session.commit()

    result = restore(target, archive)

    assert result.exit_code == 1
    assert "2 media files" in result.output


def tamper_with_an_image(entries):
    name = next(name for name in entries if name.startswith("media/"))
    return entries | {name: entries[name][:-1] + bytes([entries[name][-1] ^ 1])}


def test_a_refused_restore_changes_neither_bucket_nor_database(sites, s3, tmp_path):
    made = sites()
    fill(made, ["New"], [51])
    archive = rewrite(back_up(made, tmp_path / "blog.tar.gz"), tamper_with_an_image)
    target = sites()
    fill(target, ["Old"], [52])
    before = titles_of(target), uploads_of(target, s3)

    result = restore(target, archive, "--force")

    assert result.exit_code == 1
    assert "does not match its checksum" in result.output
    assert "Nothing was changed" in result.output
    assert (titles_of(target), uploads_of(target, s3)) == before
    assert not leftovers(target)


# kill -9 at each named step of a restore into a bucket (blog.transfer.restore's test hook).


def flask(site, *args: str, **env: str) -> subprocess.Popen:
    folder = Path(site.config["MEDIA_FOLDER"]).parent
    config = {
        "BLOG_INSTANCE_PATH": str(folder),
        "BLOG_DATABASE_URL": site.config["SQLALCHEMY_DATABASE_URI"],
        "BLOG_S3_BUCKET": site.config["S3_BUCKET"],
        "BLOG_S3_ENDPOINT_URL": site.config["S3_ENDPOINT_URL"],
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env={**os.environ, **config, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture
def two_sides(sites, s3, tmp_path):
    """An old bucket site and a backup of a new one; return the site and each side's state.

    The old bucket holds one of the new site's names with other bytes (no old row names it),
    so that the restore replaces an object as well as adding and removing some.
    """
    made = sites()
    fill(made, ["New 1", "New 2", "New 3"], [61, 62])
    archive = back_up(made, tmp_path / "new.tar.gz")
    new = (titles_of(made), uploads_of(made, s3))
    old_site, old = old_side(sites, s3, new[1])
    return old_site, archive, {"old": old, "new": new}


def old_side(sites, s3, new_uploads: dict[str, bytes]):
    """A bucket site with a post and an image, and one of new_uploads' names with other bytes."""
    site = sites()
    fill(site, ["Old one"], [63])
    s3.put_object(Bucket=site.config["S3_BUCKET"], Key=min(new_uploads), Body=b"damaged")
    return site, (titles_of(site), uploads_of(site, s3))


def which_side(site, s3, sides: dict) -> str:
    """Return the side the database is; every image it names must be in the bucket."""
    titles = titles_of(site)
    side = next((name for name, (t, _) in sides.items() if t == titles), None)
    assert side is not None, f"half-restored posts: {titles}"
    present, named = uploads_of(site, s3), named_files(site)
    assert named <= set(present), f"{side} site without {named - set(present)}"
    if side == "old":
        assert {name: present[name] for name in named} == {
            name: sides["old"][1][name] for name in named
        }
    return side


@pytest.mark.parametrize(
    ("step", "side"),
    [
        ("started", "old"),
        ("planned", "old"),
        ("adding", "old"),
        ("held", "old"),
        ("switched", "new"),
        ("replacing", "new"),
        ("removing", "new"),
        ("released", "new"),
    ],
)
def test_kill_at_each_step_leaves_a_whole_site_and_the_next_run_cleans(
    two_sides, s3, tmp_path, step, side
):
    site, archive, sides = two_sides

    run = flask(site, "restore", str(archive), "--force", BLOG_TEST_RESTORE_KILL_AT=step)
    output = run.communicate(timeout=120)[0]

    assert run.returncode == -signal.SIGKILL, output
    assert which_side(site, s3, sides) == side
    [stopped] = leftovers(site)
    result = site.test_cli_runner().invoke(args=["backup", str(tmp_path / "next.tar.gz")])
    assert result.exit_code == 0, result.output
    assert f"Removed {stopped}" in result.output
    assert which_side(site, s3, sides) == side
    assert uploads_of(site, s3) == sides[side][1]  # nothing of the other side's, bytes right
    assert not leftovers(site)
    assert read_stamp(Path(site.config["PAGE_CACHE_STAMP"])) != HELD
    home = site.test_client().get("/").text
    for name, (titles, _) in sides.items():
        for title in titles:
            assert (title in home) == (name == side), (side, title)
    if postgres is not None:
        from tests.test_backup_postgres import scratch_databases

        assert not scratch_databases()


def test_kill_at_random_instants_leaves_a_whole_site_and_the_next_run_cleans(
    two_sides, sites, s3, tmp_path
):
    site, archive, sides = two_sides
    # Each step and each object takes a moment, so that a random instant lands in the adding,
    # the switch and the removing as often as in the unpacking.
    slow = {"BLOG_TEST_RESTORE_STEP_SECONDS": "0.05"}
    run = flask(site, "restore", str(archive), "--force", **slow)
    run.stdout.readline()  # "Checking ...": the command has started
    started = time.monotonic()
    output = run.communicate(timeout=120)[0]
    assert run.returncode == 0, output
    duration = time.monotonic() - started
    rng = random.Random(os.environ.get("BLOG_TEST_RESTORE_SEED", "19"))
    outcomes = []
    for n in range(int(os.environ.get("BLOG_TEST_RESTORE_KILLS", "6"))):
        site, old = old_side(sites, s3, sides["new"][1])
        sides = {**sides, "old": old}
        run = flask(site, "restore", str(archive), "--force", **slow)
        run.stdout.readline()
        time.sleep(rng.uniform(0, duration))
        run.send_signal(signal.SIGKILL)
        output = run.communicate(timeout=120)[0]
        side = which_side(site, s3, sides)  # whole at the instant of the kill
        result = site.test_cli_runner().invoke(args=["backup", str(tmp_path / f"{n}.tar.gz")])
        assert result.exit_code == 0, result.output
        assert which_side(site, s3, sides) == side
        assert uploads_of(site, s3) == sides[side][1]  # nothing of the other side's
        assert not leftovers(site)
        assert read_stamp(Path(site.config["PAGE_CACHE_STAMP"])) != HELD
        outcomes.append(side if run.returncode == -signal.SIGKILL else "finished")
    print("bucket restores killed at random instants:", {o: outcomes.count(o) for o in outcomes})


def test_a_kill_is_not_finished_into_another_place(two_sides, s3, tmp_path):
    """A restore stopped after putting objects in a bucket is not finished against a folder."""
    site, archive, sides = two_sides
    run = flask(site, "restore", str(archive), "--force", BLOG_TEST_RESTORE_KILL_AT="adding")
    run.communicate(timeout=120)
    site.config["S3_BUCKET"] = ""
    site.extensions["media_storage"] = from_config(site.config)

    result = site.test_cli_runner().invoke(args=["backup", str(tmp_path / "next.tar.gz")])

    assert result.exit_code == 1
    assert "set the site back" in result.output
    assert len(leftovers(site)) == 1


def out_of_reach(*args):
    raise StorageError("s3://blog: could not connect")


@pytest.mark.parametrize(("failing", "side"), [(("add", "remove"), "old"), (("remove",), "new")])
def test_a_bucket_out_of_reach_leaves_the_plan_to_the_next_run(
    two_sides, s3, tmp_path, monkeypatch, failing, side
):
    site, archive, sides = two_sides
    with monkeypatch.context() as patch:
        for name in failing:
            patch.setattr(uploads, name, out_of_reach)
        result = restore(site, archive, "--force")

    assert result.exit_code == 1
    assert "could not connect" in result.output and "the next restore" in result.output
    assert which_side(site, s3, sides) == side
    [stopped] = leftovers(site)
    # What the next run needs, and no copy of the database (password hashes) beside it.
    assert {path.name for path in stopped.iterdir()} == {"plan.json", "media", "keep"}
    result = site.test_cli_runner().invoke(args=["backup", str(tmp_path / "next.tar.gz")])
    assert result.exit_code == 0, result.output
    assert f"Removed {stopped}" in result.output
    assert uploads_of(site, s3) == sides[side][1]
    assert not leftovers(site)


def test_a_restore_tells_equal_sizes_apart_by_their_bytes(sites, s3, tmp_path):
    site = sites()
    store = from_config(site.config)
    staged = tmp_path / "staged"
    staged.mkdir()
    same, other = "a" * 24 + ".png", "b" * 24 + "-480.png"
    for name in (same, other):
        s3.put_object(Bucket=site.config["S3_BUCKET"], Key=name, Body=b"12345678")
    (staged / same).write_bytes(b"12345678")
    (staged / other).write_bytes(b"87654321")  # the same size, other bytes
    reads = []
    read = store.read
    store.read = lambda name: reads.append(name) or read(name)

    found = uploads.changes(staged, store)

    assert found == {"add": [], "replace": [other], "remove": []}
    assert reads == [other]  # the equal one known by its ETag, with no download
