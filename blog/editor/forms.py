"""The editor's forms."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateTimeLocalField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from blog.render import FORMATS

MAX_BODY = 2 * 1024 * 1024  # characters; the issue asks for at least 1 MB


class EmptyForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons that POST."""


class PostForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    slug = StringField(
        "Slug",
        validators=[Length(max=200)],
        description=(
            "The post's address. Left blank, it is made from the title. Once published, "
            "an old address redirects to the new one."
        ),
    )
    body_format = RadioField(
        "Format",
        choices=[SelectChoice("markdown", "Markdown"), SelectChoice("html", "HTML")],
        default="markdown",
        validators=[DataRequired()],
    )
    body = TextAreaField(
        "Body", validators=[Length(max=MAX_BODY, message="The body is longer than 2 MB.")]
    )
    excerpt = TextAreaField(
        "Excerpt",
        validators=[Length(max=1000)],
        description="Shown on the home page and archives. Left blank, it is taken from the body.",
    )
    category = SelectField("Category", coerce=int, validators=[DataRequired()])
    tags = StringField(
        "Tags",
        validators=[Length(max=1000)],
        description="Separated by commas. New tags are created.",
    )
    image = FileField("Featured image", description="JPEG, PNG, WebP or GIF.")
    image_id = SelectField("Or choose an uploaded image", coerce=int, default=0)
    image_alt = StringField(
        "Image description (alt text)",
        validators=[Length(max=300)],
        description="What the image shows, for readers who cannot see it.",
    )
    status = RadioField(
        "Status",
        choices=[
            SelectChoice("draft", "Draft"),
            SelectChoice("publish", "Publish now"),
            SelectChoice("schedule", "Schedule"),
        ],
        default="draft",
    )
    publish_at = DateTimeLocalField(
        "Publish at", format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"], validators=[Optional()]
    )
    seo_title = StringField(
        "Title for search engines",
        validators=[Length(max=300)],
        description="Shown in search results and link previews. Left blank: the title.",
    )
    seo_description = TextAreaField(
        "Description for search engines",
        validators=[Length(max=500)],
        description="Left blank: the excerpt.",
    )
    version = HiddenField(default="0")

    def validate_body_format(self, field):
        if field.data not in FORMATS:
            raise ValidationError("Choose Markdown or HTML.")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Not a validate_publish_at method: Optional() ends the field's chain when it is empty.
        if self.status.data == "schedule" and self.publish_at.data is None:
            if not self.publish_at.errors:
                self.publish_at.errors = ["Give the date and time to publish at."]
            return False
        return valid

    def validate_version(self, field):
        # int() itself decides, and the view reads the number it leaves: "²" is a digit to
        # str.isdigit() yet no number to int(), and "" is no number either.
        try:
            field.data = str(int(field.data or "0"))
        except ValueError:
            raise ValidationError("This form is damaged; reload the post.") from None
