"""What a brand-new site starts with, so that it is never blank."""

from sqlalchemy import exists, select

from blog.accounts import ensure_editor_account
from blog.extensions import db
from blog.models import Category, Post, utcnow
from blog.posts.status import Status
from blog.render import body_fields

WELCOME = """Welcome to your new blog. This is its first post: edit it or delete it, then start
writing.

## Where things are

- **Readers** see the home page, each post, and the archives by category, tag, author and
  month.
- **You** write from the editor, at `/editor/`. The console that started the site printed a
  one-time link to set your password.

Everything you write is stored in `instance/`, next to the site's secret key.
"""


def ensure_welcome_content() -> bool:
    """Create a category and a welcome post unless the site already has content."""
    if db.session.scalar(select(exists().where(Post.id.is_not(None)))) or db.session.scalar(
        select(exists().where(Category.id.is_not(None)))
    ):
        return False
    author = ensure_editor_account()
    category = Category(name="General", slug="general", description="News from the desk.")
    db.session.add(
        Post(
            title="Welcome to your blog",
            slug="welcome",
            body_format="markdown",
            body_source=WELCOME,
            **body_fields(WELCOME, "markdown").as_dict(),
            status=Status.PUBLISHED,
            published_at=utcnow(),
            author=author,
            category=category,
        )
    )
    return True
