"""The editor's account: passwords, sessions, and the one-time link of a brand-new site."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from blog.extensions import db
from blog.models import EditorSession, SignInToken, User, utcnow

MIN_PASSWORD = 8
MAX_PASSWORD = 1024
# A session's last_seen_at is written at most this often, not on every request: the idle
# rule allows this much slack on the server (the session cookie's own rule is exact).
SEEN_EVERY = timedelta(minutes=5)
# Checked when the username is unknown, so that a wrong name takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-password-" + secrets.token_hex(8))


class PasswordError(ValueError):
    pass


class AccountError(ValueError):
    pass


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise PasswordError(f"Use at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise PasswordError(f"Use at most {MAX_PASSWORD} characters.")


def editor_account() -> User | None:
    """Return the one account that can sign in, or the first byline if none can yet."""
    return db.session.scalar(select(User).order_by(User.password_hash.is_(None), User.id).limit(1))


def ensure_editor_account(username: str = "editor") -> User:
    """Return the editor's account, creating it without a password if there is none."""
    user = editor_account()
    if user is None:
        user = User(username=username, display_name="The Editor", bio="")
        db.session.add(user)
        db.session.flush()
    return user


def account_for_password(username: str) -> User:
    """Return the account set-password should change, creating the editor's if needed.

    The site has one editor: the placeholder account of a new site takes the username, but
    a second account never gets a password.
    """
    username = username.strip()
    if not username or len(username) > 64:
        raise AccountError("Give a username of 1 to 64 characters.")
    named = db.session.scalar(select(User).where(User.username == username))
    editor = editor_account()
    if editor is not None and editor.password_hash is not None:
        if named is None or named.id != editor.id:
            raise AccountError(
                f"This site's editor is {editor.username!r}; run set-password {editor.username}."
            )
        return editor
    if named is not None:
        return named
    if editor is not None and editor.username == "editor":
        editor.username = username
        return editor
    user = User(username=username, display_name=username)
    db.session.add(user)
    return user


def set_password(user: User, password: str) -> None:
    """Set the password (scrypt, Werkzeug's default) and end every session of the account."""
    check_password_rules(password)
    user.password_hash = generate_password_hash(password)
    end_every_session(user)


def authenticate(username: str, password: str) -> User | None:
    """Return the account these credentials sign in to, or None."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or user.password_hash is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def _lifetimes() -> tuple[timedelta, timedelta]:
    """Return how long a session may sit idle and how long it may last in all."""
    config = current_app.config
    idle = timedelta(minutes=config["SESSION_IDLE_MINUTES"]) + SEEN_EVERY
    return idle, timedelta(hours=config["SESSION_ABSOLUTE_HOURS"])


def _expired(now):
    idle, absolute = _lifetimes()
    return or_(EditorSession.last_seen_at < now - idle, EditorSession.created_at < now - absolute)


def start_editor_session(user: User) -> str:
    """Record a new signed-in session of the account and return its key (for the cookie).

    Sessions past their lifetimes, anyone's, are deleted on the way: the table stays small.
    """
    now = utcnow()
    db.session.execute(delete(EditorSession).where(_expired(now)))
    key = secrets.token_urlsafe(32)
    db.session.add(
        EditorSession(user_id=user.id, key_hash=_hash(key), created_at=now, last_seen_at=now)
    )
    user.session_key = key
    return key


def end_editor_session(key: str) -> None:
    """End one session: its cookie, and every copy of it, signs no one in any more."""
    db.session.execute(delete(EditorSession).where(EditorSession.key_hash == _hash(key)))


def end_every_session(user: User) -> None:
    """End every session of the account, in every browser, copied cookies too."""
    db.session.execute(delete(EditorSession).where(EditorSession.user_id == user.id))


def end_other_sessions(user: User) -> None:
    """End every session of the account but the one it was loaded for, which gets a new key.

    A copy of this session's cookie would still sign in: the new key ends it too. The
    session keeps its start time, so that its absolute lifetime still counts from sign-in.
    """
    kept = _hash(user.session_key)
    db.session.execute(
        delete(EditorSession).where(
            EditorSession.user_id == user.id, EditorSession.key_hash != kept
        )
    )
    key = secrets.token_urlsafe(32)
    db.session.execute(
        update(EditorSession).where(EditorSession.key_hash == kept).values(key_hash=_hash(key))
    )
    user.session_key = key


def other_session_count(user: User) -> int:
    """Count the account's live sessions besides the one it was loaded for."""
    return db.session.scalar(
        select(func.count()).where(
            EditorSession.user_id == user.id,
            EditorSession.key_hash != _hash(user.session_key),
            ~_expired(utcnow()),
        )
    )


def load_session_user(key: str) -> User | None:
    """Return the account of a signed-in session's key, if the session is still valid.

    One indexed query finds the session and its account together. Every few minutes
    (SEEN_EVERY) the session's last_seen_at is written and committed at once: this runs
    before the view, with nothing else pending, and a GET view commits nothing.
    """
    if not key:
        return None
    found = db.session.execute(
        select(User, EditorSession)
        .join(EditorSession, EditorSession.user_id == User.id)
        .where(EditorSession.key_hash == _hash(key))
    ).first()
    if found is None:
        return None
    user, editor_session = found
    now = utcnow()
    idle, absolute = _lifetimes()
    if (
        user.password_hash is None
        or editor_session.created_at < now - absolute
        or editor_session.last_seen_at < now - idle
    ):
        return None
    user.session_key = key
    if now - editor_session.last_seen_at >= SEEN_EVERY:
        # A statement, not a change to the row: the row may be gone by now (signed out in
        # another tab), and then nothing is to be written.
        db.session.execute(
            update(EditorSession)
            .where(EditorSession.id == editor_session.id)
            .values(last_seen_at=now)
        )
        db.session.commit()
    return user


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_sign_in_token(user: User, lifetime: timedelta = timedelta(hours=1)) -> str:
    """Return a fresh one-time token for the user; earlier unused ones stop working."""
    db.session.execute(delete(SignInToken).where(SignInToken.user_id == user.id))
    token = secrets.token_urlsafe(32)
    db.session.add(
        SignInToken(token_hash=_hash(token), user_id=user.id, expires_at=utcnow() + lifetime)
    )
    return token


def valid_sign_in_token(token: str) -> SignInToken | None:
    found = db.session.scalar(select(SignInToken).where(SignInToken.token_hash == _hash(token)))
    if found is None or found.used_at is not None or found.expires_at < utcnow():
        return None
    return found


def redeem_sign_in_token(token: str) -> User | None:
    """Use up a one-time token and return its user, or None if it is unknown, used or old."""
    found = valid_sign_in_token(token)
    if found is None:
        return None
    found.used_at = utcnow()
    return db.session.get(User, found.user_id)
