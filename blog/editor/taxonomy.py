"""Categories and tags: list, add, rename, describe and delete them."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from blog import category_tree, taxonomy
from blog.editor.forms import EmptyForm
from blog.editor.taxonomy_forms import CategoryForm, DeleteCategoryForm, TagForm
from blog.extensions import db
from blog.models import Category, Tag
from blog.posts.listings import CATEGORY_ORDER
from blog.urls import small_int

bp = Blueprint("taxonomy", __name__)

TAGS_PER_PAGE = 100


def _status() -> int:
    """Return the status of a form page: a POST that got this far was refused."""
    return 422 if request.method == "POST" else 200


def _refuse(form: FlaskForm, error: taxonomy.TaxonomyError) -> None:
    """Put a refusal beside the field it is about, or above the form."""
    if error.field and error.field in form:
        form[error.field].errors.append(str(error))
    else:
        form.form_errors.append(str(error))


def _parent_choices(category: Category | None) -> list[tuple[int, str]]:
    return [(0, "None: a top-level category"), *category_tree.parent_choices(category)]


def _category_or_404(category_id: int) -> Category:
    return db.get_or_404(
        Category, category_id, description="There is no category with that number."
    )


def _tag_or_404(tag_id: int) -> Tag:
    return db.get_or_404(Tag, tag_id, description="There is no tag with that number.")


@bp.route("/categories/", methods=["GET", "POST"])
def categories():
    """List the categories with their post counts, and add one."""
    form = CategoryForm()
    form.parent_id.choices = _parent_choices(None)
    if form.validate_on_submit():
        try:
            category = taxonomy.create_category(
                form.name.data,
                form.slug.data or "",
                form.description.data or "",
                parent_id=form.parent_id.data,
            )
        except taxonomy.TaxonomyError as error:
            _refuse(form, error)
        else:
            db.session.commit()
            flash(f"Category “{category.name}” added, at /category/{category.slug}.")
            return redirect(url_for(".categories"))
    categories = db.session.scalars(select(Category).order_by(*CATEGORY_ORDER)).all()
    return render_template(
        "editor/categories.html",
        form=form,
        categories=categories,
        names={category.id: category.name for category in categories},
        counts=taxonomy.category_post_counts(),
        no_counts=taxonomy.PostCounts(),
    ), _status()


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
def category(category_id: int):
    """Rename a category, change its slug or describe it."""
    category = _category_or_404(category_id)
    form = CategoryForm(obj=category, parent_id=category.parent_id or 0)
    form.parent_id.choices = _parent_choices(category)
    if form.validate_on_submit():
        try:
            taxonomy.update_category(
                category,
                form.name.data,
                form.slug.data or "",
                form.description.data or "",
                parent_id=form.parent_id.data,
            )
        except taxonomy.TaxonomyError as error:
            _refuse(form, error)
        else:
            db.session.commit()
            flash(f"Category “{category.name}” saved, at /category/{category.slug}.")
            return redirect(url_for(".category", category_id=category.id))
    return render_template(
        "editor/category.html",
        form=form,
        category=category,
        post_count=taxonomy.posts_in_category(category),
    ), _status()


@bp.route("/categories/<int:category_id>/delete", methods=["GET", "POST"])
def category_delete(category_id: int):
    """Ask, then delete a category, moving its posts to the category the editor picks."""
    category = _category_or_404(category_id)
    post_count = taxonomy.posts_in_category(category)
    others = db.session.scalars(
        select(Category).where(Category.id != category.id).order_by(*CATEGORY_ORDER)
    ).all()
    form = DeleteCategoryForm()
    if post_count:
        form.move_to.choices = [(0, "Choose a category…")] + [(c.id, c.name) for c in others]
    else:
        del form.move_to
    page = {"category": category, "form": form, "post_count": post_count, "last": not others}
    if not others:
        # Every post needs a category, so the last one stays; the page says why.
        return render_template("editor/category_delete.html", **page), (
            409 if request.method == "POST" else 200
        )
    if form.validate_on_submit():
        move_to = db.session.get(Category, form.move_to.data) if post_count else None
        name = category.name
        try:
            moved = taxonomy.delete_category(category, move_to)
        except taxonomy.TaxonomyError as error:
            _refuse(form, error)
        else:
            plural = "" if moved == 1 else "s"
            where = f" {moved} post{plural} moved to “{move_to.name}”." if moved else ""
            db.session.commit()
            flash(f"Category “{name}” deleted.{where}")
            return redirect(url_for(".categories"))
    return render_template("editor/category_delete.html", **page), _status()


@bp.route("/tags/", methods=["GET", "POST"])
def tags():
    """List the tags with their post counts, a page at a time, and add one."""
    form = TagForm()
    if form.validate_on_submit():
        try:
            tag = taxonomy.create_tag(form.name.data, form.slug.data or "")
        except taxonomy.TaxonomyError as error:
            _refuse(form, error)
        else:
            db.session.commit()
            flash(f"Tag “{tag.name}” added, at /tag/{tag.slug}.")
            return redirect(url_for(".tags"))
    page = db.paginate(
        select(Tag).order_by(func.lower(Tag.name), Tag.name, Tag.id),
        page=request.args.get("page", 1, type=small_int),
        per_page=TAGS_PER_PAGE,
        error_out=False,
    )
    return render_template(
        "editor/tags.html",
        form=form,
        page=page,
        counts=taxonomy.tag_post_counts(tag.id for tag in page.items),
        no_counts=taxonomy.PostCounts(),
    ), _status()


@bp.route("/tags/<int:tag_id>", methods=["GET", "POST"])
def tag(tag_id: int):
    """Rename a tag or change its slug."""
    tag = _tag_or_404(tag_id)
    form = TagForm(obj=tag)
    if form.validate_on_submit():
        try:
            taxonomy.update_tag(tag, form.name.data, form.slug.data or "")
        except taxonomy.TaxonomyError as error:
            _refuse(form, error)
        else:
            db.session.commit()
            flash(f"Tag “{tag.name}” saved, at /tag/{tag.slug}.")
            return redirect(url_for(".tag", tag_id=tag.id))
    counts = taxonomy.tag_post_counts([tag.id]).get(tag.id, taxonomy.PostCounts())
    return render_template("editor/tag.html", form=form, tag=tag, counts=counts), _status()


@bp.route("/tags/<int:tag_id>/delete", methods=["GET", "POST"])
def tag_delete(tag_id: int):
    """Ask, then delete a tag; the posts that had it stay."""
    tag = _tag_or_404(tag_id)
    form = EmptyForm()
    if form.validate_on_submit():
        name = tag.name
        taxonomy.delete_tag(tag)
        db.session.commit()
        flash(f"Tag “{name}” deleted. Its posts are kept, without it.")
        return redirect(url_for(".tags"))
    counts = taxonomy.tag_post_counts([tag.id]).get(tag.id, taxonomy.PostCounts())
    return render_template("editor/tag_delete.html", form=form, tag=tag, counts=counts), _status()
