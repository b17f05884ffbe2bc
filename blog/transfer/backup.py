"""Backups: one .tar.gz with a consistent copy of the database, every upload, a manifest.

Archive layout (format "blog-backup", version 1)::

    manifest.json     format, version, created_at, engine, schema_revision (alembic_version),
                      tables (rows per table), files (path, size, sha256 of every other entry)
    database.sqlite   SQLite: the database, copied with SQLite's backup API; a single file
    database.pgdump   PostgreSQL (engine "postgresql"): pg_dump's custom format, instead
    media/...         every file under MEDIA_FOLDER, at the same relative path; or every
                      upload's object in the bucket (blog.transfer.uploads): the same layout

The copy is consistent while the site runs: the backup API copies every page in one step, inside
one read transaction of its own connection, so it is the database at one instant; WAL lets the
site go on writing meanwhile (PostgreSQL: pg_dump reads one snapshot, see
blog.transfer.postgres). Uploads are copied before that instant and again after it (what
appeared or changed since): an upload's files (or objects) are complete before its row is
committed, so every Media row in the copy has its files in the archive, unless that row is
deleted in the moment between the snapshot and the second pass. The archive may hold a few
files no row uses.

Restore (blog.transfer.restore) checks the whole archive with unpack_backup before it touches
anything (entry names, manifest, the size and SHA-256 of every file, PRAGMA integrity_check and
row counts of the database, or pg_restore --list of a dump, a schema revision this code knows),
then switches the site to it. A backup restores onto the engine that made it; flask export and
import move content between SQLite and PostgreSQL.

The working folders (.backup-XXXX beside the archive, .restore-XXXX beside the media folder)
hold a copy of the database, password hashes included: they are readable by their owner only,
removed when the run ends however it ends, and locked while it lives (flock), so that the next
run can tell a killed run's folder from a running one's and remove it (remove_leftovers).

These functions take paths (see site_database) and know nothing of Flask, requests or the
terminal.
"""

import fcntl
import gzip
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from blog.storage import S3Bucket
from blog.transfer import postgres, uploads
from blog.transfer.errors import BOOKKEEPING_TABLES, BackupError, SiteHasContent
from blog.transfer.files import file_sha256

FORMAT = "blog-backup"
VERSION = 1
MANIFEST = "manifest.json"
DATABASE = "database.sqlite"
PG_DATABASE = "database.pgdump"
MEDIA = "media"
BUSY_SECONDS = 10
CHUNK = 1024 * 1024
BACKUP_PREFIX = ".backup-"
KEEP = "keep"  # in a working folder: left for the next run (blog.transfer.restore)


__all__ = ["BackupError", "SiteHasContent"]  # raised here, defined in blog.transfer.errors
Site = Path | postgres.Database  # a SQLite file, or a PostgreSQL database


def site_database(
    database_url: str, instance_path: str | os.PathLike, tools: str | None = None
) -> Site:
    """Return the site's database: its SQLite file, or its PostgreSQL database.

    tools: the folder of pg_dump, pg_restore and psql when they are not on PATH.
    """
    if make_url(database_url).get_backend_name() == "postgresql":
        return postgres.Database(database_url, tools)
    return sqlite_file(database_url, instance_path)


def engine_of(database: Site) -> str:
    return "postgresql" if isinstance(database, postgres.Database) else "sqlite"


def database_entry(engine: str) -> str:
    """Return the archive entry that holds the database of an engine."""
    return PG_DATABASE if engine == "postgresql" else DATABASE


def sqlite_file(database_url: str, instance_path: str | os.PathLike) -> Path:
    """Return the file of a SQLite URL, or raise BackupError for any other database.

    A relative path is relative to the instance folder, as Flask-SQLAlchemy reads it.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(
            f"Backup and restore work with SQLite and PostgreSQL only; this site uses "
            f"{url.get_backend_name()}. Use that database's own tools."
        )
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError("Backup and restore need the database as a plain SQLite file path.")
    return Path(instance_path) / url.database


def schema_revisions(migrations: str | os.PathLike) -> set[str]:
    """Return every schema revision the migrations in this folder know."""
    return {script.revision for script in ScriptDirectory(str(migrations)).walk_revisions()}


def create_backup(target: Path, live: Site, media: Path, bucket: S3Bucket | None = None) -> dict:
    """Write the database live and the media folder (or the bucket, if given) to target.

    Return the manifest. The archive appears whole or not at all (written beside target, then
    renamed), readable by its owner only: it holds the accounts' password hashes.
    """
    target, media = Path(target), Path(media)
    engine = engine_of(live)
    if engine == "sqlite" and not live.is_file():
        raise BackupError(f"There is no database at {live}.")
    if target.is_dir():
        raise BackupError(f"{target} is a folder; name the archive: {target / 'blog.tar.gz'}")
    if bucket is None and target.resolve().is_relative_to(media.resolve()):
        raise BackupError("Write the backup outside the media folder.")
    target.parent.mkdir(parents=True, exist_ok=True)
    with private_folder(target.parent, BACKUP_PREFIX) as staging:
        copied: dict[str, tuple] = {}
        uploads.copy_new(bucket or media, staging / MEDIA, copied)
        if engine == "postgresql":
            tables, revision = postgres.dump(live, staging / PG_DATABASE)
        else:
            _snapshot(live, staging / DATABASE)
            tables, revision = _describe_sqlite(staging / DATABASE)
        uploads.copy_new(bucket or media, staging / MEDIA, copied)
        manifest = _describe(staging, sorted(copied), engine, tables, revision)
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
        partial = staging / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as archive:
            for name in [MANIFEST, *(entry["path"] for entry in manifest["files"])]:
                archive.add(staging / name, arcname=name, recursive=False, filter=_anonymous)
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    return manifest


@contextmanager
def private_folder(parent: Path, prefix: str) -> Iterator[Path]:
    """Yield a new folder in parent, readable by its owner only and locked while this run lives.

    The folder is removed when the block ends, however it ends, unless the block put a KEEP
    file in it; a killed run's folder stays too, unlocked, for remove_leftovers (or
    blog.transfer.restore.recover) of the next run.
    """
    parent.mkdir(parents=True, exist_ok=True)
    while True:
        path = Path(tempfile.mkdtemp(dir=parent, prefix=prefix))  # mode 0700
        lock = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(lock, fcntl.LOCK_EX)
        # Between mkdtemp and flock another run may have taken it for a dead run's folder.
        if path.is_dir():
            break
        os.close(lock)
    try:
        yield path
    finally:
        if not (path / KEEP).exists():
            shutil.rmtree(path, ignore_errors=True)
        os.close(lock)


@contextmanager
def claimed(folder: Path) -> Iterator[bool]:
    """Lock a working folder for the block; yield False if a running run holds it."""
    try:
        lock = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except (FileNotFoundError, NotADirectoryError):
        yield False
        return
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
        else:
            yield True
    finally:
        os.close(lock)


def remove_leftovers(parent: Path, prefix: str = BACKUP_PREFIX) -> list[str]:
    """Remove the working folders killed runs left in parent; return what was removed, in words."""
    notes = []
    for folder in sorted(Path(parent).glob(f"{prefix}*")):
        with claimed(folder) as ours:
            if ours:
                shutil.rmtree(folder, ignore_errors=True)
                notes.append(
                    f"Removed {folder}, left by a {prefix.strip('.-')} that was stopped "
                    "(it held a copy of the database)."
                )
    return notes


def summary(manifest: dict) -> str:
    """Return what a backup holds, in words: "30 posts, 237 rows in 15 tables, 1 media file"."""
    tables, media_files = manifest["tables"], len(manifest["files"]) - 1
    return (
        f"{tables.get('posts', 0)} posts, {sum(tables.values())} rows in {len(tables)} tables, "
        f"{media_files} media file{'' if media_files == 1 else 's'}"
    )


def site_content(database: Site, media: Path, bucket: S3Bucket | None = None) -> tuple[int, int]:
    """Return how many rows (bookkeeping aside) and uploads a site holds."""
    rows = 0
    if isinstance(database, postgres.Database):
        rows = postgres.content_rows(database)
    elif database.is_file():
        try:
            with closing(sqlite3.connect(database, timeout=BUSY_SECONDS)) as connection:
                rows = sum(_row_counts(connection, content_only=True).values())
        except sqlite3.Error as error:
            raise BackupError(f"Could not read the site's database {database} ({error}).") from None
    return rows, len(uploads.listing(bucket or media))


def unpack_backup(source: Path, into: Path, site: Site | None = None) -> dict:
    """Extract the archive source into the empty folder into, check it all; return its manifest.

    The backup must hold a database of the site's engine (SQLite when no site is given).
    """
    engine = "sqlite" if site is None else engine_of(site)
    try:
        with gzip.open(source) as stream:
            with tarfile.open(fileobj=stream, mode="r|") as archive:
                for member in archive:
                    out = into / _entry_name(member)
                    if out.exists():
                        raise BackupError(f"The archive holds {member.name} twice.")
                    out.parent.mkdir(parents=True, exist_ok=True)
                    with archive.extractfile(member) as data, open(out, "xb") as file:
                        shutil.copyfileobj(data, file, CHUNK)
            # Read to the end, so that gzip checks its CRC: tarfile stops at the first bad header.
            while stream.read(CHUNK):
                pass
    except FileNotFoundError:
        raise BackupError(f"There is no backup at {source}.") from None
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise BackupError(f"{source} is damaged or incomplete ({error}).") from None
    (into / MEDIA).mkdir(exist_ok=True)
    manifest = _read_manifest(into / MANIFEST, engine)
    listed = _listed_files(manifest, database_entry(engine))
    present = {path.relative_to(into).as_posix() for path in into.rglob("*") if path.is_file()}
    present.discard(MANIFEST)
    if missing := sorted(listed.keys() - present):
        raise BackupError(f"The archive is incomplete: {', '.join(missing[:5])} missing.")
    if extra := sorted(present - listed.keys()):
        raise BackupError(f"The archive holds files its manifest does not list: {extra[0]} ...")
    for name, (size, sha256) in listed.items():
        if (into / name).stat().st_size != size or file_sha256(into / name) != sha256:
            raise BackupError(f"{name} in the archive does not match its checksum: damaged.")
    if engine == "postgresql":
        postgres.check_dump(site, into / PG_DATABASE)  # its rows are counted once loaded
    else:
        _check_database(into / DATABASE, manifest)
    return manifest


def _anonymous(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _snapshot(live: Path, copy: Path) -> None:
    """Copy the live database at one instant: one backup step is one read transaction."""
    try:
        with (
            closing(sqlite3.connect(live, timeout=BUSY_SECONDS)) as source,
            closing(sqlite3.connect(copy)) as destination,
        ):
            source.backup(destination)  # pages=-1: every page in one step
            # The copy's header says WAL like the live file's; an archived file stands alone.
            destination.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as error:
        raise BackupError(f"Could not copy the database {live} ({error}).") from None


def _describe_sqlite(copy: Path) -> tuple[dict[str, int], str | None]:
    with closing(sqlite3.connect(copy)) as connection:
        return _row_counts(connection), _schema_revision(connection)


def _describe(
    staging: Path, media_files: list[str], engine: str, tables: dict, revision: str | None
) -> dict:
    names = [database_entry(engine), *(f"{MEDIA}/{name}" for name in media_files)]
    return {
        "format": FORMAT,
        "version": VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "engine": engine,
        "schema_revision": revision,
        "tables": tables,
        "files": [
            {
                "path": name,
                "size": (staging / name).stat().st_size,
                "sha256": file_sha256(staging / name),
            }
            for name in names
        ],
    }


def _entry_name(member: tarfile.TarInfo) -> str:
    """Return an archive entry's name if it is one this format has; refuse anything else."""
    path = PurePosixPath(member.name)
    parts = path.parts
    allowed = parts in ((MANIFEST,), (DATABASE,), (PG_DATABASE,)) or (
        len(parts) > 1 and parts[0] == MEDIA and not {"", ".", ".."} & set(parts)
    )
    if not member.isfile() or path.is_absolute() or not allowed:
        raise BackupError(f"The archive holds an unexpected entry {member.name!r}.")
    return str(path)


def _read_manifest(path: Path, engine: str) -> dict:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError("The archive has no manifest.json: not a backup of this blog.") from None
    except ValueError:
        raise BackupError("The archive's manifest.json is damaged.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("The archive is not a backup of this blog.")
    if manifest.get("version") != VERSION:
        raise BackupError(
            f"The backup has format version {manifest.get('version')}; "
            f"this version of the blog reads version {VERSION}."
        )
    if manifest.get("engine") != engine:
        raise BackupError(
            f"The backup holds a {manifest.get('engine')} database and this site uses {engine}: "
            "a backup restores onto the engine that made it (flask export and import move "
            "content between them)."
        )
    return manifest


def _listed_files(manifest: dict, database: str) -> dict[str, tuple[int, str]]:
    try:
        listed = {
            entry["path"]: (int(entry["size"]), str(entry["sha256"])) for entry in manifest["files"]
        }
    except (KeyError, TypeError, ValueError):
        raise BackupError("The archive's manifest.json is incomplete.") from None
    if database not in listed:
        raise BackupError("The archive's manifest lists no database.")
    return listed


def _check_database(path: Path, manifest: dict) -> None:
    try:
        with closing(sqlite3.connect(path)) as connection:
            problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise BackupError(f"The database in the archive is damaged ({problems[0]}).")
            tables = _row_counts(connection)
            revision = _schema_revision(connection)
    except sqlite3.Error as error:
        raise BackupError(f"The database in the archive is unreadable ({error}).") from None
    if tables != manifest.get("tables") or revision != manifest.get("schema_revision"):
        raise BackupError("The database in the archive does not match its manifest.")


def _row_counts(connection: sqlite3.Connection, *, content_only: bool = False) -> dict[str, int]:
    """Count the rows of every ordinary table; content_only leaves out bookkeeping tables.

    Virtual tables (the full-text index) are left out: their rows live in ordinary shadow
    tables (posts_search_data ...), counted unless content_only.
    """
    tables = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
        "AND name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY name"
    ).fetchall()
    virtual = {name for name, sql in tables if sql.upper().startswith("CREATE VIRTUAL")}
    shadow_prefixes = tuple(f"{name}_" for name in virtual)
    counts = {}
    for name, _ in tables:
        bookkeeping = name in BOOKKEEPING_TABLES or name.startswith(shadow_prefixes)
        if name in virtual or (content_only and bookkeeping):
            continue
        quoted = name.replace('"', '""')
        counts[name] = connection.execute(f'SELECT count(*) FROM "{quoted}"').fetchone()[0]
    return counts


def _schema_revision(connection: sqlite3.Connection) -> str | None:
    try:
        rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.OperationalError:
        return None  # never migrated
    return ",".join(sorted(row[0] for row in rows)) or None
