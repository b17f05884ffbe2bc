"""The editor's account: passwords, sessions, and the one-time link of a brand-new site."""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from werkzeug.security import check_password_hash, generate_password_hash

from blog.extensions import db
from blog.models import SignInToken, User, utcnow

MIN_PASSWORD = 8
MAX_PASSWORD = 1024
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
    """Set the password (scrypt, Werkzeug's default) and sign out every other session."""
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


def end_every_session(user: User) -> None:
    """Sign the account out of every browser, even where a session cookie was copied.

    Every session's user id carries the token, and the cookie alone cannot be taken back:
    a new token is what makes every earlier cookie (and remember cookie) name no one.
    """
    user.session_token = secrets.token_hex(16)


def ensure_session_token(user: User) -> str:
    if not user.session_token:
        user.session_token = secrets.token_hex(16)
    return user.session_token


def load_session_user(session_id: str) -> User | None:
    """Return the user of a session id "<user id>:<session token>", if it is still valid."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.password_hash is None:
        return None
    return user if secrets.compare_digest(user.session_token, token) else None


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
