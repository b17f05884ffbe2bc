"""The media page's forms."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileRequired, MultipleFileField

# What the file picker offers; the server decides by the content, never by this.
ACCEPT = "image/jpeg,image/png,image/webp,image/gif"


class UploadForm(FlaskForm):
    images = MultipleFileField(
        "Images",
        validators=[FileRequired("Choose one or more images to upload.")],
        description="JPEG, PNG, WebP or GIF. Each is resized for small screens.",
    )
