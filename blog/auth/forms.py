"""Forms for signing in and setting the password."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from blog.accounts import MAX_PASSWORD, MIN_PASSWORD

NEW_PASSWORD = [
    DataRequired(),
    Length(MIN_PASSWORD, MAX_PASSWORD, message=f"Use at least {MIN_PASSWORD} characters."),
]


class SignInForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_PASSWORD)])
    next = HiddenField()


class NewPasswordForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    display_name = StringField(
        "Name shown on your posts", validators=[DataRequired(), Length(max=120)]
    )
    password = PasswordField("New password", validators=NEW_PASSWORD)
    confirm = PasswordField(
        "New password again",
        validators=[DataRequired(), EqualTo("password", "The two passwords differ.")],
    )
