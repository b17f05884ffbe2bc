"""The media page's forms."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileRequired, MultipleFileField
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

# What the file picker offers; the server decides by the content, never by this.
ACCEPT = "image/jpeg,image/png,image/webp,image/gif"


class UploadForm(FlaskForm):
    images = MultipleFileField(
        "Images",
        validators=[FileRequired("Choose one or more images to upload.")],
        description="JPEG, PNG, WebP or GIF. Each is resized for small screens.",
    )


class DescribeForm(FlaskForm):
    """What the editor says of an image: offered whenever it is inserted from now on."""

    alt = StringField(
        "Description (alt text)",
        validators=[
            DataRequired("Describe the picture for readers who cannot see it."),
            Length(max=300, message="The description is longer than 300 characters."),
        ],
        description="What the picture shows, for readers who cannot see it. Required.",
    )
    caption = TextAreaField(
        "Caption",
        validators=[Length(max=1000, message="The caption is longer than 1,000 characters.")],
    )
    credit = StringField(
        "Credit",
        validators=[Length(max=300, message="The credit is longer than 300 characters.")],
        description="e.g. Photo: A. Name",
    )
