"""The site's settings and the editor's own profile and password."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from blog import accounts
from blog.auth.views import (
    attempt_sign_in,
    end_other_sessions,
    end_session,
    start_session,
    throttled_message,
)
from blog.editor.site_forms import PasswordForm, ProfileForm, SettingsForm
from blog.extensions import db
from blog.models import User
from blog.settings import SiteSettings, load_settings, save_settings

bp = Blueprint("site", __name__)


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    """Change the site's title, tagline, time zone, posts per page and footer line."""
    form = SettingsForm(obj=load_settings())
    if form.validate_on_submit():
        save_settings(
            SiteSettings(
                title=form.title.data.strip(),
                tagline=(form.tagline.data or "").strip(),
                timezone=form.timezone.data,
                posts_per_page=form.posts_per_page.data,
                footer_line=(form.footer_line.data or "").strip(),
                typographic_quotes=form.typographic_quotes.data,
            )
        )
        db.session.commit()
        flash("Settings saved.")
        return redirect(url_for(".settings"))
    return render_template("editor/settings.html", form=form), (
        422 if request.method == "POST" else 200
    )


def _editor() -> User:
    return db.session.get(User, current_user.id)


def _profile_page(
    user: User, form: ProfileForm, password_form: PasswordForm, status: int, headers=None
):
    page = render_template(
        "editor/profile.html",
        user=user,
        form=form,
        password_form=password_form,
        other_sessions=accounts.other_session_count(user),
    )
    return page, status, headers or {}


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    """Change the name and bio that readers see on your posts and author page."""
    user = _editor()
    form = ProfileForm(obj=user)
    if form.validate_on_submit():
        user.display_name = form.display_name.data.strip()
        user.bio = (form.bio.data or "").strip()
        db.session.commit()
        flash("Profile saved.")
        return redirect(url_for(".profile"))
    status = 422 if request.method == "POST" else 200
    return _profile_page(user, form, PasswordForm(formdata=None), status)


@bp.post("/profile/password")
def password():
    """Change your password; every other session ends, this one stays signed in."""
    user = _editor()
    form = PasswordForm()
    status, headers = 422, {}
    if form.validate_on_submit():
        # Under the sign-in throttle: a session alone must not be a way to guess the password.
        checked, wait = attempt_sign_in(
            user.username, form.current_password.data, what="password check"
        )
        if wait:
            form.current_password.errors.append(
                throttled_message(wait, "Too many wrong passwords.")
            )
            status, headers = 429, {"Retry-After": str(wait)}
        elif checked is None:
            form.current_password.errors.append("That is not your current password.")
        else:
            try:
                accounts.set_password(user, form.new_password.data)
            except accounts.PasswordError as error:
                form.new_password.errors.append(str(error))
            else:
                # set_password ended every session, this one too: start this one afresh, so
                # that a copy of its cookie is ended with the rest.
                start_session(user)
                db.session.commit()
                flash("Password changed. Anywhere else you were signed in is now signed out.")
                return redirect(url_for(".profile"))
    return _profile_page(user, ProfileForm(formdata=None, obj=user), form, status, headers)


@bp.post("/profile/sign-out-elsewhere")
def sign_out_elsewhere():
    """Sign out of every other browser and device; stay signed in here."""
    end_other_sessions(_editor())
    flash("You are signed out everywhere else, and still signed in here.")
    return redirect(url_for(".profile"))


@bp.post("/profile/sign-out-everywhere")
def sign_out_everywhere():
    """Sign out of every browser and device, this one too; then sign in again here."""
    # This browser signs in again too: holding a session proves nothing, so pressing this
    # must not hand whoever pressed it the one session left standing.
    end_session(everywhere=True)
    flash("You are signed out everywhere, here too. Sign in again to carry on.")
    return redirect(url_for("auth.sign_in", next=url_for(".profile")))
