"""Restore a backup (blog.transfer.backup) all or nothing, even when the process is killed.

The site is the database and the uploads it names. A restore prepares everything beside them,
in .restore-XXXX next to the media folder, and then switches in one step:

1. unpack and check the archive (blog.transfer.backup.unpack_backup);
2. prepare the copy: the migrations bring it to the current schema, every post's body is
   rendered again from its source through the sanitizer (an archive's stored HTML is never
   trusted: its checksums prove nothing against whoever wrote them), the search index is built
   again; the copy gets a random id in SQLite's user_version;
3. write the plan (plan.json: the uploads the restore adds, replaces and removes), then put
   the new uploads in the media folder: names no row of the live database uses yet;
4. hold the page cache's stamp (blog.cache.hold_stamp): no worker keeps or serves a page
   from memory until it is released;
5. the switch: write the copy over the live database in one transaction (SQLite's backup API,
   which the site's open connections see); the live user_version then is the plan's id;
6. finish: put in the uploads whose bytes differ under the same name (never, for names
   save_upload chose), remove the old site's uploads, release the stamp (a new one).

On PostgreSQL (blog.transfer.postgres_restore) step 2 runs in a scratch database the
archive's dump is loaded into, and step 5 is one psql transaction that replaces every table,
raises the content version and marks the restore's id on it (so that every instance's page
cache drops, and the next run can tell whether the switch happened).

With media in a bucket (BLOG_S3_BUCKET) the steps are the same, object by object
(blog.transfer.uploads); the plan and the archive's files stay in the same .restore-XXXX
folder beside MEDIA_FOLDER. Step 3 puts only names the bucket lacks: upload names are random
(blog.media.save_upload), so a name in both the bucket and the archive is the same upload.
Step 6 puts the archive's bytes over such a name when they differ (a PUT replaces an object
whole: a reader gets the old bytes or the new), then deletes the names only the old site had.
Deletes come after the switch, and only of names the plan wrote down before it: an upload the
new site makes is never taken (one the old site made during the restore stays, named by no
row). A bucket has no atomic step across objects, and needs none: at every instant the live
database names objects that are there. Objects not named as uploads are another program's and
never touched.

At every instant readers see the old site or the new one. The next restore or backup (recover)
completes a run killed after the switch, and undoes one killed before it: the uploads it added
go, the stamp is released. Each run locks its folder (blog.transfer.backup.private_folder), so
that a running restore's folder is never taken for a dead one's. Linux and other Unix systems
only.
"""

import json
import os
import secrets
import shutil
import signal
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import text

from blog import pages
from blog.cache import HELD, hold_stamp, read_stamp, release_stamp
from blog.extensions import db, migrate
from blog.posts import editing
from blog.search.index import rebuild_search_index
from blog.settings import stored_typographic_quotes
from blog.storage import S3Bucket
from blog.transfer import postgres, postgres_restore, uploads
from blog.transfer.backup import (
    BUSY_SECONDS,
    DATABASE,
    KEEP,
    MEDIA,
    PG_DATABASE,
    BackupError,
    Site,
    SiteHasContent,
    claimed,
    private_folder,
    schema_revisions,
    site_content,
    unpack_backup,
)

PREFIX = ".restore-"
PLAN = "plan.json"
DONE = "done.json"
SCRIPT = "restored.sql"


def restore_backup(
    source: Path,
    live: Site,
    media: Path,
    stamp: Path,
    *,
    migrations: str | os.PathLike,
    force: bool = False,
    bucket: S3Bucket | None = None,
) -> dict:
    """Replace the database live and the media folder (or the bucket) with the archive source.

    Return the manifest. Refuses (SiteHasContent) to replace a site that has any row or upload
    unless force is set, and (BackupError) an archive that fails any check or whose schema
    revision the migrations do not know; in both cases the site is left as it was. Call
    recover first: a killed run's folder would make this one refuse.
    """
    media, stamp = Path(media), Path(stamp)
    if not force:
        rows, files = site_content(live, media, bucket)
        if rows or files:
            raise SiteHasContent(
                f"This site already has content ({rows} rows, {files} media files); "
                "restoring replaces all of it."
            )
    # Beside the media folder: the same file system, so that uploads go in by a link.
    with private_folder(media.parent, PREFIX) as folder:
        if others := [path.name for path in media.parent.glob(f"{PREFIX}*") if path != folder]:
            raise BackupError(f"Another restore is running or was stopped ({others[0]}).")
        _step("started")
        manifest = unpack_backup(Path(source), folder, live)
        revision = manifest["schema_revision"]
        if revision not in schema_revisions(migrations):
            raise BackupError(
                f"The backup's schema ({revision}) is unknown to this version of the blog: "
                "it was made by a newer version. Upgrade the code first."
            )
        _step("unpacked")
        if isinstance(live, postgres.Database):
            restore_id = _prepare_postgres(folder, live, manifest, migrations)
        else:
            restore_id = prepare_copy(folder / DATABASE, migrations)
        _step("prepared")
        store = bucket or media
        plan = _plan(folder, store, restore_id, str(source))
        _step("planned")
        try:
            _add_uploads(folder, store, plan)
            hold_stamp(stamp)
            _step("held")
            if isinstance(live, postgres.Database):
                postgres_restore.switch(live, folder / SCRIPT, plan["id"])
            else:
                _write_database(folder / DATABASE, live)
            _step("switched")
            _finish(folder, store, stamp, plan)
        except BaseException:
            # Not killed, but stopped all the same (an error, Ctrl-C): end it here, or, if
            # that fails too (a bucket out of reach), leave the plan to the next run.
            try:
                if _switched(live, plan):
                    _finish(folder, store, stamp, plan)
                else:
                    _undo(folder, store, stamp, plan)
            except BaseException:
                _leave_to_next_run(folder)
                raise
            raise
    return manifest


def recover(live: Site, media: Path, stamp: Path, bucket: S3Bucket | None = None) -> list[str]:
    """Finish or undo the restores whose run was killed; return what was done, in words.

    Raises BackupError while another restore is running, or when the killed run put its
    uploads in another place than the site's (a bucket set or unset since).
    """
    media, stamp = Path(media), Path(stamp)
    store = bucket or media
    notes = []
    for folder in sorted(media.parent.glob(f"{PREFIX}*")):
        with claimed(folder) as ours:
            if not ours:
                if folder.exists():
                    raise BackupError(f"Another restore is running ({folder}); wait for its end.")
                continue
            if isinstance(live, postgres.Database):
                _drop_scratch(live, folder)
            plan = _read_plan(folder / PLAN)
            if plan is not None and plan.get("media", str(store)) != str(store):
                raise BackupError(
                    f"{folder} is a stopped restore into {plan['media']}, and the site's "
                    f"uploads are now in {store}: set the site back to finish or undo it."
                )
            if (folder / DONE).exists():
                note = "left by a restore that had finished"
            elif plan is None:
                note = "left by a restore that was stopped before it changed anything"
            elif _switched(live, plan):
                _finish(folder, store, stamp, plan)
                note = (
                    f"left by a restore of {plan['source']} that was stopped after its switch: "
                    "finished it"
                )
            else:
                _undo(folder, store, stamp, plan)
                note = (
                    f"left by a restore of {plan['source']} that was stopped before its switch: "
                    "undone, the site is as it was before it"
                )
            shutil.rmtree(folder, ignore_errors=True)
            notes.append(f"Removed {folder}, {note}.")
    if read_stamp(stamp) == HELD:  # no restore runs: whatever held it is gone
        release_stamp(stamp)
        notes.append(f"Released the page cache's stamp {stamp}, held by a stopped restore.")
    return notes


def prepare_copy(database: Path, migrations: str | os.PathLike) -> int:
    """Make the restored database ready to be switched in; return the id it now carries.

    The migrations bring it to the current schema, which must then hold no trigger or view
    the migrations do not make (a forged one could write the archive's HTML back, or worse);
    every post's body is rendered again from its source and the search index built again:
    nothing of the archive's HTML is kept.
    """
    reference = database.with_name("reference.sqlite")
    _prepare(f"sqlite:///{database}", f"sqlite:///{reference}", migrations)
    reference.unlink()
    restore_id = secrets.randbelow(2**31 - 2) + 1
    with closing(sqlite3.connect(database)) as connection:
        connection.execute(f"PRAGMA user_version = {restore_id}")
    return restore_id


def _prepare_postgres(
    folder: Path, live: postgres.Database, manifest: dict, migrations: str | os.PathLike
) -> int:
    """Load the archive's dump into a scratch database, prepare it, write it as the script.

    Return the restore's id, which the switch writes on the live database.
    """
    run = _run_name(folder)
    with (
        postgres_restore.scratch(live, "restore", run) as copy,
        postgres_restore.scratch(live, "schema", run) as reference,
    ):
        postgres_restore.load(copy, folder / PG_DATABASE)
        if postgres.described(copy) != (manifest["tables"], manifest["schema_revision"]):
            raise BackupError("The database in the archive does not match its manifest.")
        _prepare(copy.url, reference.url, migrations)
        postgres_restore.write_script(copy, folder / SCRIPT)
    return secrets.randbelow(2**31 - 2) + 1


def _run_name(folder: Path) -> str:
    # mkdtemp's letters: lower case, digits and _, fit for a database name.
    return folder.name.removeprefix(PREFIX)


def _drop_scratch(live: postgres.Database, folder: Path) -> None:
    for kind in ("restore", "schema"):
        postgres_restore.drop(live, postgres_restore.scratch_name(live, kind, _run_name(folder)))


def _prepare(database_url: str, reference_url: str, migrations: str | os.PathLike) -> None:
    """Migrate the copy, refuse code the migrations do not make, render every body again."""
    with _app_for(reference_url, migrations):
        upgrade()
        made = _code_in_schema()
    try:
        with _app_for(database_url, migrations):
            upgrade()
            if foreign := sorted(_code_in_schema() - made):
                kind, name, _ = foreign[0]
                raise BackupError(
                    f"The database in the archive holds a {kind} this blog does not make "
                    f"({name}): it was not made by flask backup."
                )
            editing.rerender_posts(typographic=stored_typographic_quotes())
            pages.rerender_pages(typographic=stored_typographic_quotes())
            rebuild_search_index()
            db.session.commit()
    except BackupError:
        raise
    except Exception as error:
        raise BackupError(f"Could not prepare the database in the archive ({error}).") from None


@contextmanager
def _app_for(database_url: str, migrations: str | os.PathLike) -> Iterator[None]:
    """Give the block an app context whose database is this one (a copy, not the site's)."""
    staged = Flask(__name__)
    staged.config["SQLALCHEMY_DATABASE_URI"] = database_url
    db.init_app(staged)
    migrate.init_app(staged, db, directory=str(migrations), render_as_batch=True)
    with staged.app_context():
        try:
            yield
        finally:
            db.session.remove()
            db.engine.dispose()


# PostgreSQL's code outside the system schemas and extensions: triggers, views, rules,
# functions (a dump may hold any of them).
POSTGRES_CODE = text(
    """
    SELECT 'trigger', tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL SELECT 'view', viewname, definition FROM pg_views
        WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
    UNION ALL SELECT 'rule', rulename, definition FROM pg_rules
        WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
    UNION ALL SELECT 'function', p.proname, p.prosrc FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND NOT EXISTS (
            SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
    """
)


def _code_in_schema() -> set[tuple[str, str, str]]:
    """Return the triggers and views of the database: what runs when a row is written or read."""
    if db.engine.dialect.name == "postgresql":
        rows = db.session.execute(POSTGRES_CODE)
    else:
        rows = db.session.execute(
            text("SELECT type, name, sql FROM sqlite_master WHERE type IN ('trigger', 'view')")
        )
    return {(kind, name, " ".join((sql or "").split())) for kind, name, sql in rows}


def _plan(folder: Path, store: uploads.Store, restore_id: int, source: str) -> dict:
    """Write down (atomically) which uploads the restore adds, replaces and removes, where."""
    plan = {
        "id": restore_id,
        "source": source,
        "media": str(store),
        **uploads.changes(folder / MEDIA, store),
    }
    partial = folder / f"{PLAN}.partial"
    partial.write_text(json.dumps(plan, indent=1) + "\n")
    os.replace(partial, folder / PLAN)
    return plan


def _read_plan(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None


def _add_uploads(folder: Path, store: uploads.Store, plan: dict) -> None:
    """Put the archive's uploads the site lacks in; no live row names them."""
    for name in plan["add"]:
        _step("adding")
        uploads.add(folder / MEDIA, store, name)


def _switched(live: Site, plan: dict) -> bool:
    """Tell whether the live database is the plan's copy (the switch happened)."""
    if isinstance(live, postgres.Database):
        return postgres_restore.switched(live, plan["id"])
    if not live.is_file():
        return False
    try:
        with closing(sqlite3.connect(live, timeout=BUSY_SECONDS)) as connection:
            return connection.execute("PRAGMA user_version").fetchone()[0] == plan["id"]
    except sqlite3.Error as error:
        raise BackupError(f"Could not read the site's database {live} ({error}).") from None


def _write_database(copy: Path, live: Path) -> None:
    """Write the copy over the live database in one transaction the site's connections see."""
    live.parent.mkdir(parents=True, exist_ok=True)
    try:
        with (
            closing(sqlite3.connect(copy)) as source,
            closing(sqlite3.connect(live, timeout=BUSY_SECONDS)) as destination,
        ):
            source.backup(destination)  # pages=-1: one step, one transaction
    except sqlite3.Error as error:
        raise BackupError(f"Could not write the database {live} ({error}).") from None


def _finish(folder: Path, store: uploads.Store, stamp: Path, plan: dict) -> None:
    """After the switch: the last uploads in, the old site's out, the stamp released.

    Safe to run again after a run of it was stopped anywhere.
    """
    try:
        for name in plan["replace"]:
            _step("replacing")
            uploads.replace(folder / MEDIA, store, name)
        for name in plan["remove"]:
            _step("removing")
            uploads.remove(store, name)
    finally:
        release_stamp(stamp)
    _step("released")
    _mark_done(folder)


def _undo(folder: Path, store: uploads.Store, stamp: Path, plan: dict) -> None:
    """Before the switch: take the uploads the restore added out again, release the stamp."""
    try:
        for name in plan["add"]:
            uploads.remove(store, name)
    finally:
        release_stamp(stamp)
    _mark_done(folder)


def _leave_to_next_run(folder: Path) -> None:
    """Keep the plan and the archive's uploads for recover; not the database copies."""
    for path in folder.iterdir():
        if path.is_dir() and path.name != MEDIA:
            shutil.rmtree(path)
        elif path.is_file() and path.name != PLAN:
            path.unlink()
    (folder / KEEP).touch()


def _mark_done(folder: Path) -> None:
    if (folder / PLAN).exists():
        os.replace(folder / PLAN, folder / DONE)


def _step(name: str) -> None:
    """A test hook (tests/test_restore_holes.py), inert unless its variables are set.

    BLOG_TEST_RESTORE_KILL_AT=<step> kills the process there (SIGKILL); and
    BLOG_TEST_RESTORE_STEP_SECONDS=<s> makes each step last that long, so that kills at
    random instants land in the switch as often as in the start-up.
    """
    if seconds := os.environ.get("BLOG_TEST_RESTORE_STEP_SECONDS"):
        time.sleep(float(seconds))
    if os.environ.get("BLOG_TEST_RESTORE_KILL_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
