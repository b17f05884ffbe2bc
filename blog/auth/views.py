"""Signing the editor in and out, and the one-time link of a brand-new site."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import COOKIE_NAME, current_user, login_user, logout_user
from sqlalchemy import select

from blog import accounts, throttle
from blog.auth.forms import NewPasswordForm, SignInForm
from blog.extensions import db, treat_as_anonymous
from blog.models import User, utcnow

bp = Blueprint("auth", __name__, url_prefix="/auth")


def safe_next(target: str | None) -> str:
    """Return target if it is a path on this site, else the editor's dashboard.

    Browsers read a backslash as a slash and ignore tabs and newlines, so "/\\evil.example"
    and "/\\t/evil.example" are other sites: only a single leading slash followed by
    something else passes.
    """
    fallback = url_for("editor.posts.dashboard")
    if not target or re.search(r"[\x00-\x1f\\\x7f]", target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def start_session(user: User) -> None:
    """Sign in with a brand-new session: nothing from before survives (no fixation)."""
    if current_user.is_authenticated:
        # Signing in again replaces this browser's session rather than adding one.
        accounts.end_editor_session(current_user.session_key)
    session.clear()
    accounts.start_editor_session(user)
    login_user(user)
    session.permanent = True
    session["signed_in_at"] = utcnow().timestamp()


def session_expired() -> bool:
    """Tell whether the signed-in session has passed its idle or absolute lifetime."""
    config = current_app.config
    now = utcnow().timestamp()
    started = session.get("signed_in_at", 0)
    seen = session.get("seen_at", started)
    if now - started > timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]).total_seconds():
        return True
    if now - seen > timedelta(minutes=config["SESSION_IDLE_MINUTES"]).total_seconds():
        return True
    session["seen_at"] = now
    return False


def attempt_sign_in(username: str, password: str, what: str = "sign-in") -> tuple[User | None, int]:
    """Check credentials under the throttle; return the user, or None and the seconds to wait.

    Every attempt is recorded and committed at once: a failure must count even though the
    request that made it changes nothing else. Every form that checks the password comes
    here (what names it in the log), so they share one count: a guess is a guess.
    """
    address = request.remote_addr or "unknown"
    wait = throttle.retry_after(username, address)
    if wait:
        current_app.logger.warning("%s throttled for %r from %s", what, username, address)
        return None, wait
    user = accounts.authenticate(username, password)
    throttle.record_attempt(username, address, succeeded=user is not None)
    db.session.commit()
    if user is None:
        current_app.logger.warning("%s failed for %r from %s", what, username, address)
    else:
        current_app.logger.info("%s succeeded for %r from %s", what, username, address)
    return user, 0


def throttled_message(wait: int, reason: str = "Too many failed sign-ins.") -> str:
    minutes = max(1, round(wait / 60))
    return f"{reason} Try again in about {minutes} minute{'s' * (minutes > 1)}."


def end_session(everywhere: bool = False) -> None:
    """Sign out here, or everywhere: the sessions end on the server, not just in this cookie.

    Clearing the cookie is not enough: a copy of it would still sign in. Deleting the
    session's row makes every copy name no session.
    """
    if current_user.is_authenticated:
        if everywhere:
            accounts.end_every_session(current_user)
        else:
            accounts.end_editor_session(current_user.session_key)
        db.session.commit()
    logout_user()
    session.clear()


def end_other_sessions(user: User) -> None:
    """End every other session of the account, copies of this one too; stay signed in here."""
    accounts.end_other_sessions(user)
    db.session.commit()
    login_user(user)  # the session cookie takes this session's new key


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    """Ask for the editor's username and password."""
    if current_user.is_authenticated and request.method != "POST":
        # Nothing to ask: go where signing in would have led. A POST still signs in anew.
        return redirect(safe_next(request.args.get("next")))
    form = SignInForm(next=request.args.get("next", ""))
    status = 200
    if form.validate_on_submit():
        user, wait = attempt_sign_in(form.username.data, form.password.data)
        if user is not None:
            start_session(user)
            db.session.commit()
            return redirect(safe_next(form.next.data))
        if wait:
            form.password.errors.append(throttled_message(wait))
            status = 429
        else:
            form.password.errors.append("That username and password do not match.")
            status = 401
    elif form.errors:
        status = 422
    response = current_app.make_response((render_template("auth/sign_in.html", form=form), status))
    if status == 429:
        response.headers["Retry-After"] = str(wait)
    return response


@bp.post("/sign-out")
def sign_out():
    """Sign out of this browser (a POST, so that no link or image can do it)."""
    end_session()
    flash("You are signed out.")
    return redirect(url_for("public.index"))


@bp.route("/welcome/<token>", methods=["GET", "POST"])
def welcome(token: str):
    """Let the person at the console choose the editor's name and password, once."""
    found = accounts.valid_sign_in_token(token)
    if found is None:
        return render_template("auth/welcome_used.html"), 410
    user = db.session.get(User, found.user_id)
    form = NewPasswordForm(obj=user)
    if form.validate_on_submit():
        taken = db.session.scalar(
            select(User).where(User.username == form.username.data, User.id != user.id)
        )
        if taken is not None:
            form.username.errors.append("Another byline already uses that username.")
        else:
            accounts.redeem_sign_in_token(token)
            user.username = form.username.data
            user.display_name = form.display_name.data
            accounts.set_password(user, form.password.data)
            start_session(user)
            db.session.commit()
            flash("Your password is set. Welcome to the editor.")
            return redirect(url_for("editor.posts.dashboard"))
    return render_template("auth/welcome.html", form=form)


def register_session_rules(app) -> None:
    @app.before_request
    def expire_old_sessions():
        remember_cookie = app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME)
        if not session and remember_cookie not in request.cookies:
            # No session and no remember cookie: no one can be signed in. Say so at once,
            # sparing flask_login the hash of the reader's address it would make to find out.
            treat_as_anonymous()
            return
        if current_user.is_authenticated and session_expired():
            end_session()
