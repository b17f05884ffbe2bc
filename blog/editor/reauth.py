"""Saving a form after the session ended: the text comes back with a place to sign in again.

The post and page forms both take a POST from someone signed out (blog.editor.KEEPS_TEXT):
nothing is stored until the fields shown with the text sign the editor back in.
"""

from flask import request
from flask_login import current_user

from blog.auth.views import attempt_sign_in, start_session, throttled_message

SIGNED_OUT = (
    "You were signed out, so nothing was saved. Your text is kept below: "
    "sign in here and press Save again."
)
EXPIRED = "This form had expired, so nothing was saved. Your text is kept below: press Save again."


def refusal() -> str | None:
    """Return why this POST cannot be saved (signed out, sign-in refused), or None to go on.

    Signs the editor back in when the form carries the right username and password.
    """
    if current_user.is_authenticated:
        return None
    if not request.form.get("reauth_password"):
        return SIGNED_OUT
    user, wait = attempt_sign_in(
        request.form.get("reauth_username", ""), request.form.get("reauth_password", "")
    )
    if user is None:
        if wait:
            return throttled_message(wait)
        return "That username and password do not match. Your text is kept below."
    start_session(user)
    return None


def expired_message() -> str:
    """Why a form whose CSRF token failed saved nothing: an ended session or an old form."""
    return EXPIRED if current_user.is_authenticated else SIGNED_OUT
