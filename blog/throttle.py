"""Sign-in throttling, kept in the database so that it holds across server processes.

Every form that checks the password (sign-in, signing in again on the post form, the
password change) records its attempts here under the account's username: one count for all.

Two limits over a sliding window:
- per client address: after ADDRESS_LIMIT failures the address is refused until the window
  has passed, whatever username it tries;
- per username: after USERNAME_LIMIT failures the username is refused from every address
  except those where it signed in successfully within TRUSTED_FOR. An attacker can slow
  down guessing but cannot lock the editor out: their usual address still works, the window
  slides, and `flask set-password` clears the record.
"""

from datetime import timedelta

from sqlalchemy import delete, func, select

from blog.extensions import db
from blog.models import SignInAttempt, utcnow

WINDOW = timedelta(minutes=15)
ADDRESS_LIMIT = 10
USERNAME_LIMIT = 5
TRUSTED_FOR = timedelta(days=30)


def _failures(column, value, since):
    return db.session.execute(
        select(func.count(), func.min(SignInAttempt.at)).where(
            column == value, SignInAttempt.at >= since, SignInAttempt.succeeded.is_(False)
        )
    ).one()


def retry_after(username: str, address: str) -> int:
    """Return how many seconds this attempt must wait, or 0 if it may go ahead."""
    now = utcnow()
    since = now - WINDOW
    count, oldest = _failures(SignInAttempt.address, address, since)
    if count >= ADDRESS_LIMIT:
        return int((oldest + WINDOW - now).total_seconds()) + 1
    count, oldest = _failures(SignInAttempt.username, username, since)
    if count >= USERNAME_LIMIT and not _trusted(username, address, now):
        return int((oldest + WINDOW - now).total_seconds()) + 1
    return 0


def _trusted(username: str, address: str, now) -> bool:
    return (
        db.session.scalar(
            select(SignInAttempt.id)
            .where(
                SignInAttempt.username == username,
                SignInAttempt.address == address,
                SignInAttempt.succeeded.is_(True),
                SignInAttempt.at >= now - TRUSTED_FOR,
            )
            .limit(1)
        )
        is not None
    )


def record_attempt(username: str, address: str, succeeded: bool) -> None:
    """Remember an attempt; forget the ones too old to matter."""
    now = utcnow()
    db.session.execute(delete(SignInAttempt).where(SignInAttempt.at < now - TRUSTED_FOR))
    db.session.add(
        SignInAttempt(username=username[:64], address=address[:64], succeeded=succeeded, at=now)
    )


def forget_failures(username: str) -> None:
    """Clear a username's failures, as a password reset at the server does."""
    db.session.execute(
        delete(SignInAttempt).where(
            SignInAttempt.username == username, SignInAttempt.succeeded.is_(False)
        )
    )
