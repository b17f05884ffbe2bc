"""The site's settings and the editor's own profile and password."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from blog import accounts, failures, media
from blog.auth.views import (
    attempt_sign_in,
    end_other_sessions,
    end_session,
    start_session,
    throttled_message,
)
from blog.editor import featured_image
from blog.editor.media_forms import ACCEPT
from blog.editor.site_forms import PasswordForm, ProfileForm, SettingsForm
from blog.extensions import db
from blog.models import AuthorPhoto, Media, User
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
    # populate_existing: the account is already loaded (the signed-in user), without its photo.
    return db.session.get(
        User, current_user.id, options=[selectinload(User.photo)], populate_existing=True
    )


def _profile_form(user: User, from_request: bool = True) -> ProfileForm:
    """Return the profile form, from the request when posted, else from the account.

    Every field by name: with obj=user, the photo's file field would take the Media row.
    """
    current = photo.id if (photo := _photo_of(user)) else 0
    extra = {} if from_request else {"formdata": None}
    form = ProfileForm(display_name=user.display_name, bio=user.bio, photo_id=current, **extra)
    _fill_photo_choices(form, current)
    return form


def _photo_of(user: User) -> Media | None:
    # A query, not user.photo: a password check may have expired the account's attributes.
    stmt = select(Media).join(AuthorPhoto, AuthorPhoto.media_id == Media.id)
    return db.session.scalar(stmt.where(AuthorPhoto.user_id == user.id))


def _fill_photo_choices(form: ProfileForm, keep: int) -> None:
    form.photo_id.choices = featured_image.library_choices(keep, "No photo")


def _chosen_photo(form: ProfileForm) -> Media | None:
    """Return the photo the form chose: a new upload, one from the library, or None.

    A refused upload gives None too, with the reason at the field.
    """
    upload = form.photo.data
    if getattr(upload, "filename", ""):
        try:
            return media.save_upload(upload)
        except media.UploadError as error:
            if failures.classify(error) is failures.DISK_FULL:
                raise  # not this file's fault: the page says why, nothing is saved
            form.photo.errors = [str(error)]
            return None
    return db.session.get(Media, form.photo_id.data) if form.photo_id.data else None


def _profile_page(
    user: User, form: ProfileForm, password_form: PasswordForm, status: int, headers=None
):
    photo = _photo_of(user)
    page = render_template(
        "editor/profile.html",
        user=user,
        photo=photo,
        form=form,
        password_form=password_form,
        other_sessions=accounts.other_session_count(user),
        photo_thumbnail=media.thumbnail_file(photo) if photo else "",
        accept=ACCEPT,
    )
    return page, status, headers or {}


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    """Change the name, bio and photo that readers see on your posts and author page."""
    user = _editor()
    form = _profile_form(user)
    if form.validate_on_submit():
        photo = _chosen_photo(form)
        if not form.photo.errors:
            user.display_name = form.display_name.data.strip()
            user.bio = (form.bio.data or "").strip()
            user.photo = photo
            db.session.commit()
            flash("Profile saved.")
            return redirect(url_for(".profile"))
    elif name := getattr(form.photo.data, "filename", ""):
        # Stored only with a valid profile: say so, rather than drop it silently.
        form.photo.errors = [f"“{media.clean_original_name(name)}” was not kept: choose it again."]
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
    return _profile_page(user, _profile_form(user, from_request=False), form, status, headers)


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
