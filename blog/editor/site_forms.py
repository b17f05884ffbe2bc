"""Forms for the site's settings and the editor's profile and password."""

from functools import cache
from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, ValidationError

from blog.accounts import MAX_PASSWORD, MIN_PASSWORD
from blog.auth.forms import NEW_PASSWORD
from blog.menus import link_problem


@cache
def timezone_names() -> tuple[str, ...]:
    """Return every IANA time zone name, sorted; read from disk once per process."""
    return tuple(sorted(available_timezones()))


class SettingsForm(FlaskForm):
    title = StringField(
        "Site title", validators=[DataRequired("Give the site a title."), Length(max=200)]
    )
    tagline = StringField(
        "Tagline",
        validators=[Length(max=300)],
        description="Shown under the title and to search engines. May be left blank.",
    )
    timezone = SelectField(
        "Time zone",
        validate_choice=False,
        description="Dates are shown in this zone, and scheduled times are read in it.",
    )
    posts_per_page = IntegerField(
        "Posts per page",
        validators=[NumberRange(1, 50, message="Choose a number from 1 to 50.")],
        invalid_value_message="That is not a whole number.",
        description="On the home page and the archives, from 1 to 50.",
        render_kw={"min": 1, "max": 50},
    )
    typographic_quotes = BooleanField(
        "Typographic quotes and dashes in Markdown",
        description="“Curly quotes”, ‘apostrophes’, -- and --- as – and —, ... as …. Posts "
        "get them as they are next saved; `flask rerender` gives them to every post at once.",
    )

    footer_line = StringField(
        "Footer line",
        validators=[Length(max=300)],
        description="Shown at the foot of every page, e.g. © 2026 The Harbour Times. Plain text.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = [(name, name) for name in timezone_names()]

    def validate_timezone(self, field):
        if field.data not in timezone_names():
            raise ValidationError(
                f"“{field.data}” is not a time zone this site knows; choose one from the list."
            )


class ProfileForm(FlaskForm):
    display_name = StringField(
        "Name shown on your posts",
        validators=[DataRequired("Give the name readers see."), Length(max=120)],
    )
    bio = TextAreaField(
        "Bio",
        validators=[Length(max=2000)],
        description="Shown on your author page. Plain text.",
    )
    photo = FileField(
        "Upload a photo",
        description="JPEG, PNG, WebP or GIF; a square one fits best. Shown small and round "
        "beside your name on your stories and your author page.",
    )
    photo_id = SelectField(
        "Or choose an uploaded image",
        coerce=int,
        default=0,
        invalid_choice_message="That image is no longer in the library; choose another.",
        invalid_value_message="Choose an image from the list.",
    )


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired("Give your current password."), Length(max=MAX_PASSWORD)],
    )
    new_password = PasswordField(
        "New password",
        validators=NEW_PASSWORD,
        description=f"At least {MIN_PASSWORD} characters; a long passphrase is best.",
    )
    confirm = PasswordField(
        "New password again",
        validators=[DataRequired(), EqualTo("new_password", "The two passwords differ.")],
    )


class MenuLinkForm(FlaskForm):
    """A custom link for a menu: a label and an https:// address or a path on this site."""

    label = StringField(
        "Label", validators=[DataRequired("Give the link a label."), Length(max=120)]
    )
    url = StringField(
        "Address",
        validators=[DataRequired("Give the link's address."), Length(max=500)],
        description="https://… or a path on this site, such as /about/.",
    )

    def validate_url(self, field):
        if problem := link_problem(field.data or ""):
            raise ValidationError(problem)
