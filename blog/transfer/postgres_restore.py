"""PostgreSQL's side of a restore: a scratch database, then one transaction that switches.

A restore writes nothing into the live database before its switch:

1. pg_restore loads the archive's dump into a scratch database beside the live one (the role
   needs CREATEDB), where the migrations and the re-rendering run (blog.transfer.restore);
2. pg_dump writes that prepared copy as one SQL script that drops and recreates every table;
3. the switch: psql runs the script in ONE transaction, with, around it, a lock on every live
   table first, and after it the content version raised past the live one, announced by
   NOTIFY (every instance's page cache drops) and the restore's id written on the table.

PostgreSQL commits that transaction whole or not at all, whoever is killed when (this process,
psql, or the server), so no state of the database is half of each site; psql dies with this
process (PR_SET_PDEATHSIG), and the next run ends what is left of its session (settle) before
it reads whether the switch happened. We chose this over renaming schemas (load into
a new schema, swap names): pg_restore cannot load a dump under another schema's name, and
the unaccent extension exists once per database, in the live schema, where the blog_search
text configuration and the posts' generated search column depend on it. The cost: readers
wait for the switch's locks (a second for a few thousand posts) rather than never.
"""

import ctypes
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from blog.cache import SharedStamp
from blog.transfer.errors import BackupError
from blog.transfer.postgres import Database, connect, run, server_major, tool

SETTLE_SECONDS = 30
PR_SET_PDEATHSIG = 1


def scratch_name(database: Database, kind: str, run: str) -> str:
    """Return the name of a restore's scratch database: the live name, its kind, its run."""
    return f"{database.name[:40]}_{kind}_{run}"


@contextmanager
def scratch(database: Database, kind: str, run: str) -> Iterator[Database]:
    """Create an empty database beside the live one for the block; drop it after."""
    import psycopg

    name = scratch_name(database, kind, run)
    with connect(database) as connection:
        try:
            connection.execute(f'CREATE DATABASE "{name}"')
        except psycopg.errors.InsufficientPrivilege:
            user = make_url(database.url).username
            raise BackupError(
                "A restore on PostgreSQL prepares the backup in a scratch database first, "
                f"and the role {user} may not create one (as a superuser: "
                f"ALTER ROLE {user} CREATEDB)."
            ) from None
    try:
        yield database.named(name)
    finally:
        drop(database, name)


def drop(database: Database, name: str) -> None:
    """Drop a scratch database if it is there, ending whatever session still uses it."""
    with connect(database) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def load(database: Database, dump_file: Path) -> None:
    """Load a dump into an empty (scratch) database, in one transaction."""
    with connect(database) as connection:
        pg_restore = tool(database, "pg_restore", server_major(connection))
    run(
        database,
        [
            pg_restore,
            "--exit-on-error",
            "--single-transaction",
            "--no-owner",
            "--no-privileges",
            f"--dbname={database.conninfo(password=False)}",
            str(dump_file),
        ],
        "Loading the database in the archive (pg_restore)",
    )


def write_script(database: Database, target: Path) -> None:
    """Write the database as SQL that replaces another database's tables with its own."""
    with connect(database) as connection:
        pg_dump = tool(database, "pg_dump", server_major(connection))
    run(
        database,
        [
            pg_dump,
            "--format=plain",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            f"--file={target}",
            f"--dbname={database.conninfo(password=False)}",
        ],
        "Writing the prepared database (pg_dump)",
    )


def _session(restore_id: int) -> str:
    return f"blog-restore-{restore_id}"


def _marker(restore_id: int) -> str:
    return f"blog restore {restore_id}"


BEFORE = """
CREATE TEMP TABLE blog_restore_prior ON COMMIT DROP AS SELECT 0::bigint AS stamp;
DO $$
DECLARE tables text;
BEGIN
    -- Every lock at once, before the first DROP: the site's writers wait, none deadlocks.
    SELECT string_agg(format('public.%I', relname), ', ') INTO tables FROM pg_class
        WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p');
    IF tables IS NOT NULL THEN
        EXECUTE 'LOCK TABLE ' || tables || ' IN ACCESS EXCLUSIVE MODE';
    END IF;
    IF to_regclass('public.content_version') IS NOT NULL THEN
        UPDATE pg_temp.blog_restore_prior
            SET stamp = (SELECT max(stamp) FROM public.content_version);
    END IF;
END $$;
"""

AFTER = """
UPDATE public.content_version SET stamp = GREATEST(
    stamp + 1, (SELECT stamp FROM pg_temp.blog_restore_prior) + 1, {now});
COMMENT ON TABLE public.content_version IS '{marker}';
SELECT pg_notify('{channel}', stamp::text) FROM public.content_version;
"""


def switch(database: Database, script: Path, restore_id: int) -> None:
    """Replace the live database's tables with the script's, in one transaction (see above)."""
    with connect(database) as connection:
        psql = tool(database, "psql", server_major(connection))
    before, after = script.with_name("before.sql"), script.with_name("after.sql")
    before.write_text(BEFORE)
    finish = AFTER.format(
        now=time.time_ns(), marker=_marker(restore_id), channel=SharedStamp.CHANNEL
    )
    if seconds := os.environ.get("BLOG_TEST_RESTORE_SWITCH_SECONDS"):
        # A test hook (tests/test_backup_postgres.py): everything done but the COMMIT.
        finish += f"SELECT pg_sleep({float(seconds)});\n"
    after.write_text(finish)
    run(
        database,
        [
            psql,
            "--no-psqlrc",
            "--quiet",
            "--single-transaction",
            "--set=ON_ERROR_STOP=1",
            f"--dbname={database.conninfo(password=False)}",
            f"--file={before}",
            f"--file={script}",
            f"--file={after}",
        ],
        "The switch to the restored database (psql)",
        application=_session(restore_id),
        preexec_fn=_die_with_parent,
    )


def _die_with_parent() -> None:
    """In the child, before exec: a kill -9 of the restore takes psql (and its session) too."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def settle(database: Database, restore_id: int) -> None:
    """End a killed restore's switch if its session is still open, and wait until it is gone.

    A session ended before its COMMIT changed nothing; one that committed did it all.
    """
    deadline = time.monotonic() + SETTLE_SECONDS
    with connect(database) as connection:
        while True:
            found = connection.execute(
                "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = %s AND pid <> pg_backend_pid()",
                (_session(restore_id),),
            ).fetchall()
            if not found:
                return
            if time.monotonic() > deadline:
                raise BackupError(f"A stopped restore's session is still open ({found[0][0]}).")
            time.sleep(0.05)


def switched(database: Database, restore_id: int) -> bool:
    """Tell whether the restore with this id switched the live database (settle first)."""
    settle(database, restore_id)
    with connect(database) as connection:
        (marker,) = connection.execute(
            "SELECT obj_description(to_regclass('public.content_version'), 'pg_class')"
        ).fetchone()
    return marker == _marker(restore_id)
