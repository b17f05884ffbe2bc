"""The reference: the blog's home and post pages written the straightforward way.

This is the "straightforward version" of the performance issue, which our full renders
are measured against in `make bench`: Flask-SQLAlchemy, ORM queries with eager loads,
`db.paginate`, Jinja templates and `url_for`, as one first writes them, with no cache and
no tuning. It serves the blog's own database (BLOG_INSTANCE_PATH/blog.sqlite, or
BLOG_DATABASE_URL) through the blog's models, and uses nothing else of the blog (importing
the models loads the blog package, whose engine hooks give SQLite connections WAL here too).
"""

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, render_template
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from blog.models import Category, Post, Tag

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("BLOG_INSTANCE_PATH") or ROOT / "instance")

db = SQLAlchemy()
app = Flask(__name__, static_folder=str(ROOT / "static"))
app.config["SQLALCHEMY_DATABASE_URI"] = (
    os.environ.get("BLOG_DATABASE_URL") or f"sqlite:///{INSTANCE / 'blog.sqlite'}"
)
# Only flash messages use the session here; a key per process will do.
app.config["SECRET_KEY"] = secrets.token_hex(32)
# The blog's defaults: the demo instances keep them (the blog reads them from its database).
app.config["SITE_TITLE"] = "My Blog"
app.config["SITE_TAGLINE"] = "News and stories"
db.init_app(app)

# The other pages these two link to: their URLs are built, the pages are not served here.
for rule, endpoint in (
    ("/category/<slug>", "category"),
    ("/tag/<slug>", "tag"),
    ("/author/<username>", "author"),
    ("/archive/", "archives"),
    ("/search", "search"),
    ("/feed.atom", "feed"),
    ("/media/<path:filename>", "media"),
):
    app.add_url_rule(rule, endpoint, build_only=True)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def is_public(now: datetime):
    return (Post.status == "published") & (Post.published_at <= now)


@app.context_processor
def site():
    """Give every page the site's title and the categories for the masthead."""
    return {
        "site_title": app.config["SITE_TITLE"],
        "site_tagline": app.config["SITE_TAGLINE"],
        "nav_categories": db.session.scalars(select(Category).order_by(Category.name)).all(),
    }


@app.template_filter("date")
def format_date(value: datetime) -> str:
    return value.strftime("%B %-d, %Y")


@app.get("/")
def index():
    """Show the newest public posts, ten to a page."""
    page = db.paginate(
        select(Post)
        .options(joinedload(Post.category), joinedload(Post.author))
        .where(is_public(utcnow()))
        .order_by(Post.published_at.desc(), Post.id.desc()),
        per_page=10,
    )
    return render_template("straightforward/index.html", page=page)


@app.get("/posts/<slug>")
def post(slug: str):
    """Show one public post with its tags, its neighbours and related posts."""
    now = utcnow()
    found = db.one_or_404(
        select(Post)
        .options(
            joinedload(Post.category),
            joinedload(Post.author),
            joinedload(Post.image),
            selectinload(Post.tags),
        )
        .where(Post.slug == slug, is_public(now))
    )
    older = db.session.scalar(
        select(Post)
        .where(is_public(now), Post.published_at < found.published_at)
        .order_by(Post.published_at.desc(), Post.id.desc())
        .limit(1)
    )
    newer = db.session.scalar(
        select(Post)
        .where(is_public(now), Post.published_at > found.published_at)
        .order_by(Post.published_at, Post.id)
        .limit(1)
    )
    # Related: the newest posts sharing a tag, then the newest of the same category.
    others = (
        select(Post).options(joinedload(Post.author)).where(is_public(now), Post.id != found.id)
    )
    newest = (Post.published_at.desc(), Post.id.desc())
    tag_ids = [tag.id for tag in found.tags]
    related = db.session.scalars(
        others.where(Post.tags.any(Tag.id.in_(tag_ids))).order_by(*newest).limit(3)
    ).all()
    if len(related) < 3:
        related += db.session.scalars(
            others.where(
                Post.category_id == found.category_id,
                Post.id.not_in([p.id for p in related]),
            )
            .order_by(*newest)
            .limit(3 - len(related))
        ).all()
    return render_template(
        "straightforward/post.html", post=found, older=older, newer=newer, related=related
    )
