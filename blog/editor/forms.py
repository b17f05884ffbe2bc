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

from blog.dates import EARLIEST_YEAR, in_post_years, latest_year
from blog.render import FORMATS, check_body

MAX_BODY = 2 * 1024 * 1024  # characters; the issue asks for at least 1 MB


def longest(limit: int, what: str) -> Length:
    """Length(max=limit), saying so the way the rest of the editor does."""
    return Length(max=limit, message=f"{what} is longer than {limit} characters.")


class EmptyForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons that POST."""


class PostForm(FlaskForm):
    title = StringField(
        "Title", validators=[DataRequired("Give the post a title."), longest(300, "The title")]
    )
    slug = StringField(
        "Slug",
        validators=[longest(200, "The slug")],
        description=(
            "The post's address. Left blank, it is made from the title. Once published, "
            "an old address redirects to the new one."
        ),
    )
    body_format = RadioField(
        "Format",
        choices=[SelectChoice("markdown", "Markdown"), SelectChoice("html", "HTML")],
        default="markdown",
        validators=[DataRequired("Choose Markdown or HTML.")],
        invalid_choice_message="Choose Markdown or HTML.",
    )
    body = TextAreaField(
        "Body", validators=[Length(max=MAX_BODY, message="The body is longer than 2 MB.")]
    )
    excerpt = TextAreaField(
        "Excerpt",
        validators=[longest(1000, "The excerpt")],
        description="Shown on the home page and archives. Left blank, it is taken from the body.",
    )
    category = SelectField(
        "Category",
        coerce=int,
        validators=[DataRequired("Choose a category.")],
        invalid_choice_message="That category no longer exists; choose another.",
        invalid_value_message="Choose a category.",
    )
    tags = StringField(
        "Tags",
        validators=[longest(1000, "The list of tags")],
        description="Separated by commas. New tags are created.",
    )
    body_image = FileField(
        "Picture",
        description="JPEG, PNG, WebP or GIF. Stored when you save, and put at the end of the body.",
    )
    body_image_alt = StringField(
        "Its description (alt text)",
        validators=[longest(300, "The description")],
        description="What the picture shows, for readers who cannot see it. Required.",
    )
    body_image_caption = StringField("Caption", validators=[longest(1000, "The caption")])
    body_image_credit = StringField(
        "Credit", validators=[longest(300, "The credit")], description="e.g. Photo: A. Name"
    )
    image = FileField("Featured image", description="JPEG, PNG, WebP or GIF.")
    image_id = SelectField(
        "Or choose an uploaded image",
        coerce=int,
        default=0,
        invalid_choice_message="That image is no longer in the library; choose another.",
        invalid_value_message="Choose an image from the list.",
    )
    image_alt = StringField(
        "Image description (alt text)",
        validators=[longest(300, "The description")],
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
        invalid_choice_message="Choose Draft, Publish now or Schedule.",
    )
    publish_at = DateTimeLocalField(
        "Publish at",
        # The first is what browsers send; the space is for a browser without a date picker.
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        validators=[Optional()],
        invalid_value_message="Give the date and time as year-month-day hour:minute, "
        "e.g. 2030-05-01 09:30.",
    )
    seo_title = StringField(
        "Title for search engines",
        validators=[longest(300, "The title for search engines")],
        description="Shown in search results and link previews. Left blank: the title.",
    )
    seo_description = TextAreaField(
        "Description for search engines",
        validators=[longest(500, "The description for search engines")],
        description="Left blank: the excerpt.",
    )
    version = HiddenField(default="0")
    # The site's setting, set by the view: the body is checked as it will be rendered.
    typographic = False

    def validate_publish_at(self, field):
        # An empty date stopped at Optional(); one that could not be read has its error.
        if field.data is not None and not in_post_years(field.data):
            raise ValidationError(f"Choose a date from {EARLIEST_YEAR} to {latest_year()}.")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.status.data != "schedule":
            # Read only for Schedule (its hint says so): what else it holds refuses nothing.
            self.publish_at.errors = []
            return not any(field.errors for field in self)
        # Not in validate_publish_at: Optional() ends the field's chain when it is empty.
        if self.publish_at.data is None:
            if not self.publish_at.errors:
                self.publish_at.errors = ["Give the date and time to publish at."]
            return False
        return valid

    def validate_body(self, field):
        # Rendered here, once: the save (or preview) that follows reuses this render.
        if field.errors or self.body_format.data not in FORMATS:
            return
        if refusal := check_body(field.data or "", self.body_format.data, self.typographic):
            raise ValidationError(refusal)

    def validate_version(self, field):
        # int() itself decides, and the view reads the number it leaves: "²" is a digit to
        # str.isdigit() yet no number to int(), and "" is no number either.
        try:
            field.data = str(int(field.data or "0"))
        except ValueError:
            raise ValidationError("This form is damaged; reload the post.") from None


class PageForm(FlaskForm):
    """A page: written like a post, with no category, tags, excerpt or schedule."""

    title = StringField(
        "Title", validators=[DataRequired("Give the page a title."), longest(300, "The title")]
    )
    slug = StringField(
        "Slug",
        validators=[longest(200, "The slug")],
        description="The page's address, /slug/. Left blank, it is made from the title.",
    )
    parent = SelectField(
        "Parent page",
        coerce=int,
        default=0,
        invalid_choice_message="That page cannot be the parent; choose another.",
        invalid_value_message="Choose a page from the list.",
        description="A page under another has the address /parent/slug/.",
    )
    body_format = PostForm.body_format
    body = PostForm.body
    status = RadioField(
        "Status",
        choices=[SelectChoice("draft", "Draft"), SelectChoice("publish", "Published")],
        default="draft",
        invalid_choice_message="Choose Draft or Published.",
    )
    image = PostForm.image
    image_id = PostForm.image_id
    image_alt = PostForm.image_alt
    seo_title = PostForm.seo_title
    seo_description = StringField(
        "Description for search engines",
        validators=[longest(500, "The description for search engines")],
        description="Shown in search results and link previews.",
    )
    version = HiddenField(default="0")
    # Set from the site's typographic-quotes setting: the body is checked as it will render.
    typographic = False
    validate_body = PostForm.validate_body
    validate_version = PostForm.validate_version
