"""Server failures: what went wrong (a full disk, a database out of reach), and one log line.

Plain functions and a small log, no requests: the error handlers (blog/errors.py) ask
classify() what an exception means and note it in a BurstLog, so that a database outage
under load is one line in the log (and a summary), not a traceback per request.
"""

import errno
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import exc

# How long readers are asked to wait (Retry-After, seconds) while the database is away.
RETRY_AFTER = 30
# SQLite's primary result codes (sqlite3 errors carry them as sqlite_errorcode).
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN = 5, 6, 10, 13, 14
# PostgreSQL's SQLSTATE for "disk full" (class 53, insufficient resources).
PG_DISK_FULL = "53100"


class FailureKind(StrEnum):
    DISK_FULL = "disk full"
    DATABASE_DOWN = "database unreachable"
    UNEXPECTED = "unexpected error"


@dataclass(frozen=True, slots=True)
class Failure:
    kind: FailureKind
    status: int
    retry_after: int | None
    reason: str  # for the editor: what happened, and that nothing was saved

    @property
    def database_ok(self) -> bool:
        """Whether the database may be asked again (to show a form's lists) after this."""
        return self.kind is not FailureKind.DATABASE_DOWN


DISK_FULL = Failure(FailureKind.DISK_FULL, 503, None, "The disk is full: nothing was saved.")
DATABASE_DOWN = Failure(
    FailureKind.DATABASE_DOWN,
    503,
    RETRY_AFTER,
    "The database cannot be reached: nothing was saved.",
)
UNEXPECTED = Failure(
    FailureKind.UNEXPECTED, 500, None, "Something went wrong on the server: nothing was saved."
)
# Said after the reason wherever the editor's typed text is shown back.
TEXT_KEPT = "Your text is below; copy it or try again."


def _chain(error: BaseException) -> Iterator[BaseException]:
    """Yield the error, what SQLAlchemy wrapped (orig) and its causes, each once."""
    seen: set[int] = set()
    todo = [error]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [getattr(current, "orig", None), current.__cause__, current.__context__]


def _is_sqlite(error: BaseException) -> bool:
    return type(error).__module__ == "sqlite3"


def _is_disk_full(error: BaseException) -> bool:
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    if _is_sqlite(error):
        code = getattr(error, "sqlite_errorcode", 0) & 0xFF
        return code == SQLITE_FULL or "database or disk is full" in str(error)
    return getattr(error, "sqlstate", None) == PG_DISK_FULL


def _is_database_down(error: BaseException) -> bool:
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, exc.TimeoutError | exc.DisconnectionError):
        return True  # no pooled connection came free in time; the server may be gone
    if _is_sqlite(error):
        # Not every sqlite3.OperationalError: "no such table" is a bug, not an outage.
        code = getattr(error, "sqlite_errorcode", 0) & 0xFF
        return code in (SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_CANTOPEN)
    # A driver's OperationalError (psycopg's and its subclasses) is the server failing, not
    # the query: connection refused or lost, shut down, out of resources, timed out.
    return any(
        kind.__name__ == "OperationalError" and not kind.__module__.startswith("sqlalchemy")
        for kind in type(error).__mro__
    )


def classify(error: BaseException) -> Failure:
    """Return what an exception means for the site: disk full, database down, or unexpected."""
    chain = list(_chain(error))
    if any(_is_disk_full(e) for e in chain):
        return DISK_FULL
    if any(_is_database_down(e) for e in chain):
        return DATABASE_DOWN
    return UNEXPECTED


def describe(error: BaseException) -> str:
    """Return the error as one short line: its type and message, never the SQL or its values."""
    # SQLAlchemy's own message repeats the statement and its parameters (an editor's text).
    inner = error.orig if isinstance(error, exc.DBAPIError) and error.orig else error
    message = " ".join(str(inner).split())
    if len(message) > 300:
        message = message[:299] + "…"
    return f"{type(inner).__name__}: {message}" if message else type(inner).__name__


@dataclass(slots=True)
class _Burst:
    first: float
    last: float
    reported: float  # when its last line was logged
    count: int = 0  # failures since that line


class BurstLog:
    """Log the first failure of a burst as one line, then count the rest and summarise them.

    A burst is failures of one kind with less than `quiet` seconds between them. Its count is
    logged when it ends (seen at the next request, or when another burst of its kind starts)
    and every `every` seconds while it lasts, so a long outage still shows in the log.
    """

    def __init__(
        self,
        logger: logging.Logger,
        quiet: float = 10.0,
        every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.logger, self.quiet, self.every, self.clock = logger, quiet, every, clock
        self._bursts: dict[str, _Burst] = {}
        self._lock = threading.Lock()

    def record(self, key: str, line: str, exc_info: BaseException | None = None) -> bool:
        """Note a failure; log line (with exc_info's traceback) if it starts a burst.

        Return whether a line was logged.
        """
        now = self.clock()
        with self._lock:
            burst = self._bursts.get(key)
            if burst is not None and now - burst.last < self.quiet:
                burst.count += 1
                burst.last = now
                if now - burst.reported >= self.every:
                    self._summarise(key, burst, "still failing")
                    burst.reported, burst.count = now, 0
                return False
            if burst is not None:
                self._summarise(key, burst, "ended")
            self._bursts[key] = _Burst(first=now, last=now, reported=now)
        self.logger.error(
            "%s (repeats within %g s are counted, not logged)",
            line,
            self.quiet,
            exc_info=exc_info,
        )
        return True

    def flush(self) -> None:
        """Summarise the bursts that have ended (no failure for `quiet` seconds)."""
        if not self._bursts:  # the usual case: one dict check per request
            return
        now = self.clock()
        with self._lock:
            for key, burst in list(self._bursts.items()):
                if now - burst.last >= self.quiet:
                    self._summarise(key, burst, "ended")
                    del self._bursts[key]

    def _summarise(self, key: str, burst: _Burst, state: str) -> None:
        if burst.count:
            self.logger.warning(
                "%s: %d more failure%s in %.0f s since the first (%s)",
                key,
                burst.count,
                "" if burst.count == 1 else "s",
                burst.last - burst.first,
                state,
            )
