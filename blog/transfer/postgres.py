"""PostgreSQL's side of backups: reaching the database, its client programs, pg_dump.

A backup is `pg_dump --format=custom` of a snapshot that a transaction of this module exports
(pg_export_snapshot): the row counts and schema revision in the manifest are read in the very
snapshot the dump holds, while the site goes on writing. Restoring is
blog.transfer.postgres_restore's.
"""

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from blog.transfer.errors import BOOKKEEPING_TABLES, BackupError


@dataclass(frozen=True)
class Database:
    """A PostgreSQL database the site uses: its SQLAlchemy URL, and where pg_dump is."""

    url: str
    tools: str | None = None  # a folder with pg_dump, pg_restore and psql (BLOG_PG_BIN)

    @property
    def name(self) -> str:
        return make_url(self.url).database

    def named(self, name: str) -> "Database":
        """Return the database called name on the same server, reached the same way."""
        url = make_url(self.url).set(database=name)
        return Database(url.render_as_string(hide_password=False), self.tools)

    def conninfo(self, *, password: bool = True) -> str:
        """Return the libpq URI (the tools get the password from PGPASSWORD, not argv)."""
        url = make_url(self.url).set(drivername="postgresql")
        if not password:
            url = url.set(password=None)
        return url.render_as_string(hide_password=False)

    def environ(self, application: str = "blog-backup") -> dict[str, str]:
        env = {**os.environ, "PGAPPNAME": application}
        if password := make_url(self.url).password:
            env["PGPASSWORD"] = str(password)
        return env


def connect(database: Database):
    """Open an autocommit psycopg connection, or raise BackupError saying why not."""
    import psycopg  # only a PostgreSQL site gets here

    try:
        return psycopg.connect(database.conninfo(), autocommit=True)
    except psycopg.Error as error:
        raise BackupError(f"Could not reach the database {database.name} ({error}).") from None


def tool(database: Database, name: str, server_major: int | None = None) -> str:
    """Return the path of a PostgreSQL client program, checked against the server's version.

    pg_dump refuses a server newer than itself; saying so before any work starts is kinder.
    """
    path = shutil.which(name, path=database.tools) if database.tools else shutil.which(name)
    where = f"in {database.tools} (BLOG_PG_BIN)" if database.tools else "on PATH"
    if path is None:
        raise BackupError(
            f"{name} was not found {where}: backups of a PostgreSQL site need PostgreSQL's "
            "client programs (Debian: apt install postgresql-client), or set BLOG_PG_BIN to "
            "the folder that holds them."
        )
    if server_major is not None:
        major = tool_major(path)
        if major < server_major:
            raise BackupError(
                f"{path} is PostgreSQL {major}'s; the server runs PostgreSQL {server_major}, "
                f"and {name} must be at least as new (install postgresql-client-{server_major}, "
                "or set BLOG_PG_BIN to its bin folder)."
            )
    return path


def tool_major(path: str) -> int:
    """Return the major version of a PostgreSQL program (pg_dump --version)."""
    output = subprocess.run([path, "--version"], capture_output=True, text=True).stdout
    found = re.search(r"\(PostgreSQL\) (\d+)", output)
    if found is None:
        raise BackupError(f"{path} --version did not say which PostgreSQL it is ({output!r}).")
    return int(found.group(1))


def run(database: Database, args: list[str], what: str, **options) -> None:
    env = database.environ(options.pop("application", "blog-backup"))
    options.setdefault("stdout", subprocess.DEVNULL)
    result = subprocess.run(args, env=env, stderr=subprocess.PIPE, text=True, **options)
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        raise BackupError(f"{what} failed ({lines[-1] if lines else result.returncode}).")


def server_major(connection) -> int:
    return connection.info.server_version // 10000


def table_rows(connection, *, content_only: bool = False) -> dict[str, int]:
    """Count the rows of every table of the public schema; content_only skips bookkeeping."""
    names = [
        row[0]
        for row in connection.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname"
        )
    ]
    counts = {}
    for name in names:
        if content_only and name in BOOKKEEPING_TABLES:
            continue
        quoted = name.replace('"', '""')
        counts[name] = connection.execute(f'SELECT count(*) FROM public."{quoted}"').fetchone()[0]
    return counts


def schema_revision(connection) -> str | None:
    if connection.execute("SELECT to_regclass('public.alembic_version')").fetchone()[0] is None:
        return None  # never migrated
    rows = connection.execute("SELECT version_num FROM public.alembic_version").fetchall()
    return ",".join(sorted(row[0] for row in rows)) or None


def content_rows(database: Database) -> int:
    """Return how many rows (bookkeeping aside) the database holds."""
    with connect(database) as connection:
        return sum(table_rows(connection, content_only=True).values())


def dump(database: Database, target: Path) -> tuple[dict[str, int], str | None]:
    """Dump the database at one instant to target; return its row counts and schema revision."""
    with connect(database) as connection:
        pg_dump = tool(database, "pg_dump", server_major(connection))
        # The snapshot lives while this transaction does: pg_dump reads the same instant.
        connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = connection.execute("SELECT pg_export_snapshot()").fetchone()[0]
        tables = table_rows(connection)
        revision = schema_revision(connection)
        run(
            database,
            [
                pg_dump,
                "--format=custom",
                "--compress=0",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={target}",
                f"--dbname={database.conninfo(password=False)}",
            ],
            "pg_dump",
        )
        connection.execute("COMMIT")
    os.chmod(target, 0o600)
    return tables, revision


def check_dump(database: Database, path: Path) -> None:
    """Refuse a dump pg_restore cannot read (its table of contents)."""
    run(
        database,
        [tool(database, "pg_restore"), "--list", str(path)],
        "Reading the database in the archive (pg_restore --list)",
    )


def described(database: Database) -> tuple[dict[str, int], str | None]:
    """Return a database's row counts and schema revision."""
    with connect(database) as connection:
        return table_rows(connection), schema_revision(connection)
