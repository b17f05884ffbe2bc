"""Forms for categories and tags."""

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

SLUG_HINT = (
    "The address, as in /{kind}/slug. Left blank, it is made from the name, with a number "
    "added if another {kind} has it; on a rename it follows the new name unless you change "
    "it too. The old address redirects to the new one."
)
CHOOSE_DESTINATION = "Choose the category its posts move to."


class CategoryForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Give a name."), Length(max=120)])
    slug = StringField(
        "Slug", validators=[Length(max=80)], description=SLUG_HINT.format(kind="category")
    )
    description = TextAreaField(
        "Description",
        validators=[Length(max=2000)],
        description="Shown at the top of the category's page. Plain text.",
    )
    # Choices are set by the view: every category that would not make a loop.
    parent_id = SelectField(
        "Parent category",
        coerce=int,
        default=0,
        validate_choice=False,
        description="A subcategory (World under News) shows its parents above its posts.",
    )


class TagForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Give a name."), Length(max=120)])
    slug = StringField(
        "Slug", validators=[Length(max=80)], description=SLUG_HINT.format(kind="tag")
    )


class DeleteCategoryForm(FlaskForm):
    """Confirm a category's deletion, and say where its posts go."""

    move_to = SelectField(
        "Move its posts to",
        coerce=int,
        default=0,
        validate_choice=False,
        invalid_value_message=CHOOSE_DESTINATION,
    )

    def validate_move_to(self, field):
        # The view drops this field when the category has no posts.
        if not field.errors and field.data not in {value for value, _ in field.choices if value}:
            raise ValidationError(CHOOSE_DESTINATION)
