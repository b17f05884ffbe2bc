"""Previews: the form's unsaved post, or a saved one, as readers would see it."""

from flask import render_template, request
from flask_login import current_user

from blog.editor.post_form import fill_choices, form_for, form_input, render_form
from blog.editor.posts import bp, post_or_404
from blog.extensions import db
from blog.models import Category, Media, Post, Tag, User, utcnow
from blog.posts import editing, post_page
from blog.posts.status import Status
from blog.settings import load_settings
from blog.slugs import slugify
from blog.urls import small_int


def _preview_response(post: Post):
    return render_template(
        "public/post.html",
        post=post_page.preview_page(post),
        older=None,
        newer=None,
        related=[],
        preview=True,
    )


@bp.post("/preview")
def preview():
    """Show the form's unsaved post exactly as readers would see it."""
    form = form_for(None)
    form.validate()
    post_id = request.form.get("post_id", 0, type=small_int)
    original = post_or_404(post_id) if post_id else None
    if form.body.errors:
        # A body too complex to render cannot be shown: the form, its text and the reason.
        fill_choices(form, original)
        return render_form(form, original, "Nothing to preview: see the body's error.", 422)
    data = form_input(form, form.image_id.data or None)
    post = Post(
        id=original.id if original else None,
        title=data.title or "Untitled",
        slug=original.slug if original else "preview",
        status=Status.DRAFT,
        version=0,
        published_at=(original.published_at if original else None) or utcnow(),
        updated_at=utcnow(),
    )
    with db.session.no_autoflush:
        editing.fill_post(post, data, load_settings().zone, _preview_tags(data.tags))
        post.author = db.session.get(User, current_user.id)
        post.category = db.session.get(Category, data.category_id) if data.category_id else None
        post.image = db.session.get(Media, data.image_id) if data.image_id else None
    if post.category is None:
        post.category = Category(name="Uncategorized", slug="uncategorized")
    # The post was never added to the session: the preview saves nothing.
    return _preview_response(post)


def _preview_tags(text: str) -> list[Tag]:
    """Return unsaved tags for a preview: nothing may be created by looking."""
    return [Tag(name=name, slug=slugify(name)) for name in editing.parse_tag_names(text)]


@bp.get("/posts/<int:post_id>/preview")
def preview_saved(post_id: int):
    """Show a saved post (draft, scheduled or published) as readers would see it."""
    return _preview_response(post_or_404(post_id))
