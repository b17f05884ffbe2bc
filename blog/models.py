"""The content model: typed SQLAlchemy 2 tables, no business logic."""

from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from blog.extensions import db
from blog.posts.status import Status, public, scheduled, shown_state
from blog.render import search_text


def utcnow() -> datetime:
    """Naive UTC: every timestamp is stored in UTC, shown in the site's time zone."""
    return datetime.now(UTC).replace(tzinfo=None)


def reading_minutes(word_count: int) -> int:
    return max(1, round(word_count / 230))


def _search_text_default(context) -> str:
    return search_text(context.get_current_parameters().get("body_html") or "")


post_tags = Table(
    "post_tags",
    db.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_post_tags_tag_post", "tag_id", "post_id"),
)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    bio: Mapped[str] = mapped_column(Text, default="")
    # None until the editor sets a password: there is never a default one. Only one account
    # (the editor) ever has a password; the others are bylines.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Nothing signs in with it any more: each signed-in session is an EditorSession row.
    # Dropping it is left for a later migration (on SQLite, a rebuild of the users table).
    session_token: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Shown beside the name on public pages (blog/front.py); through author_photos.
    photo: Mapped["Media | None"] = relationship(secondary="author_photos", lazy="raise")
    # Not a column: the key of the signed-in session this account was loaded for (set in
    # blog/accounts.py). Flask-Login keeps get_id() in the session cookie.
    session_key = ""

    def get_id(self) -> str:
        return self.session_key


class EditorSession(db.Model):
    """One signed-in session: a browser the editor signed in on (or a copy of its cookie)."""

    __tablename__ = "editor_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the key in the session cookie: the database alone signs no one in.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Written at most every few minutes (accounts.SEEN_EVERY), not on every request.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class SignInToken(db.Model):
    """A one-time link that lets the person at the console set the editor's password."""

    __tablename__ = "sign_in_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class SignInAttempt(db.Model):
    """One sign-in attempt, kept in the database so that throttling holds across processes."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (
        Index("ix_sign_in_attempts_username_at", "username", "at"),
        Index("ix_sign_in_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(140), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # A subcategory's parent ("World" under "News"), as WordPress has them; deleting the
    # parent makes its children top-level categories.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL"), index=True
    )


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(140), unique=True)


class Media(db.Model):
    """An uploaded image; its files live under instance/media with a server-chosen name."""

    __tablename__ = "media"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255), unique=True)
    original_name: Mapped[str] = mapped_column(String(255), default="")
    content_type: Mapped[str] = mapped_column(String(64))
    width: Mapped[int]
    height: Mapped[int]
    # Comma-separated widths of the resized copies, for srcset.
    variants: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What the editor said of the picture when inserting it in a body: offered again next time.
    alt: Mapped[str] = mapped_column(String(300), default="", server_default="")
    caption: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    credit: Mapped[str] = mapped_column(String(300), default="", server_default="")


class AuthorPhoto(db.Model):
    """An author's picture: an image of the media library, at most one per author.

    Its own table, not a column of users: on SQLite a new column with a foreign key means
    rebuilding users, which every other table references. Deleting the image removes it.
    """

    __tablename__ = "author_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media.id", ondelete="CASCADE"), index=True)


class Post(db.Model):
    __tablename__ = "posts"
    __table_args__ = (
        # One index per public listing: home, category, author; each ordered by date.
        Index("ix_posts_status_published", "status", "published_at", "id"),
        Index("ix_posts_category_published", "category_id", "status", "published_at", "id"),
        Index("ix_posts_author_published", "author_id", "status", "published_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # A Status: draft, published or trash; a published post whose published_at is still in the
    # future is scheduled, decided at query time so that no background job is needed.
    status: Mapped[str] = mapped_column(String(16), default=Status.DRAFT)
    published_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Bumped by every save: a save based on an older version is a conflict, not an overwrite.
    version: Mapped[int] = mapped_column(default=1)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    image_id: Mapped[int | None] = mapped_column(ForeignKey("media.id", ondelete="SET NULL"))
    # The post's id on the WordPress site it was imported from: old /?p=ID links redirect.
    wp_id: Mapped[int | None] = mapped_column(index=True, unique=True)
    word_count: Mapped[int] = mapped_column(default=0)
    # False when the excerpt was derived from the body, so that it follows the body's edits.
    custom_excerpt: Mapped[bool] = mapped_column(default=False)
    body_format: Mapped[str] = mapped_column(String(16), default="markdown")
    title: Mapped[str] = mapped_column(String(300))
    slug: Mapped[str] = mapped_column(String(320), unique=True)
    excerpt: Mapped[str] = mapped_column(Text, default="")
    image_alt: Mapped[str] = mapped_column(String(300), default="")
    # Optional overrides for search engines and link previews; blank means title / excerpt.
    seo_title: Mapped[str] = mapped_column(String(300), default="", server_default="")
    seo_description: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # The bodies last: SQLite stores columns in this order and reaches any column after a
    # spilled body only through its overflow pages (see migration f7d3a8b2c615).
    body_source: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    # The body's words for the search index (blog/search/results.py), set wherever body_html is;
    # an insert that leaves it out gets it from body_html. Deferred: no page shows it.
    search_text: Mapped[str] = mapped_column(
        Text, default=_search_text_default, server_default="", deferred=True
    )

    author: Mapped[User] = relationship(lazy="raise")
    category: Mapped[Category] = relationship(lazy="raise")
    image: Mapped[Media | None] = relationship(lazy="raise")
    tags: Mapped[list[Tag]] = relationship(secondary=post_tags, lazy="raise", order_by=Tag.name)

    @property
    def reading_minutes(self) -> int:
        return reading_minutes(self.word_count)

    def is_public(self, now: datetime | None = None) -> bool:
        return public(self.status, self.published_at, now or utcnow())

    def is_scheduled(self, now: datetime | None = None) -> bool:
        return scheduled(self.status, self.published_at, now or utcnow())

    def shown_state(self, now: datetime | None = None) -> str:
        """Draft, scheduled, published or trash: what the editor's lists call it."""
        return shown_state(self.status, self.published_at, now or utcnow())


class Comment(db.Model):
    """A reader's comment brought over from WordPress: shown under its post or page, never
    written here.

    text is plain text (paragraphs a blank line apart), escaped wherever it is shown.
    """

    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_post_wp_id", "post_id", "wp_id", unique=True),
        Index("ix_comments_page_wp_id", "page_id", "wp_id", unique=True),
        CheckConstraint("(post_id IS NULL) <> (page_id IS NULL)", name="ck_comments_post_or_page"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Exactly one of the two: the post or the page it was written under.
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    page_id: Mapped[int | None] = mapped_column(
        ForeignKey("pages.id", ondelete="CASCADE", name="fk_comments_page_id_pages")
    )
    # Its id on the WordPress site, and the one it replied to (0: none): the thread.
    wp_id: Mapped[int]
    parent_wp_id: Mapped[int] = mapped_column(default=0)
    author_name: Mapped[str] = mapped_column(String(245))
    # http(s) only, or blank: checked on the way in.
    author_url: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)


class Revision(db.Model):
    """A post as it was before one of its saves."""

    __tablename__ = "revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    body_format: Mapped[str] = mapped_column(String(16))
    body_source: Mapped[str] = mapped_column(Text)
    excerpt: Mapped[str] = mapped_column(Text, default="")
    saved_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Autosave(db.Model):
    """The post form as it was while being written: one per editor and post, never the post.

    post_id is None for a post not saved yet. Kept until the editor saves the post or
    discards it; the post itself is only ever changed by pressing Save.
    """

    __tablename__ = "autosaves"
    __table_args__ = (Index("ix_autosaves_user_post", "user_id", "post_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    # The post's version the form was opened at: restoring it over a newer save is a conflict.
    base_version: Mapped[int] = mapped_column(default=0)
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)
    title: Mapped[str] = mapped_column(Text, default="")
    body_format: Mapped[str] = mapped_column(String(16), default="markdown")
    # The other fields of the form, as JSON (name: value as typed).
    fields: Mapped[str] = mapped_column(Text, default="{}")
    body_source: Mapped[str] = mapped_column(Text, default="")


class OldSlug(db.Model):
    """A slug a public post, a category, a tag or a page had before: its old address redirects.

    A page's is its old path: "about" or "about/team".

    It names its row by id, so that a chain of renames leads straight to the current
    address, and deleting the row deletes its old slugs.
    """

    __tablename__ = "old_slugs"
    __table_args__ = (Index("ix_old_slugs_kind_slug", "kind", "slug", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "post", "category", "tag" or "page"
    slug: Mapped[str] = mapped_column(String(320))
    # The one its kind names is set.
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), index=True
    )
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), index=True
    )
    tag_id: Mapped[int | None] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), index=True
    )
    page_id: Mapped[int | None] = mapped_column(
        ForeignKey("pages.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Setting(db.Model):
    """A site setting the editor can change (title, tagline, time zone, posts per page)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ContentVersion(db.Model):
    """One row: the content stamp several app servers agree on (blog/cache.py, SharedStamp)."""

    __tablename__ = "content_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    stamp: Mapped[int] = mapped_column(BigInteger)


class FeaturedPost(db.Model):
    """A post the editor pinned to the top of the home page; the lowest position leads."""

    __tablename__ = "featured_posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Deleting the post for good unpins it.
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), unique=True)
    position: Mapped[int] = mapped_column(default=0)


class Page(db.Model):
    """A standing page (About, Contact ...) at the site's top level: no date, byline or category.

    Its own table, not a kind of post: every listing, feed, archive and the search index read
    posts alone, and keep doing so without a filter of their own.
    """

    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A Status, as for posts; a page is public as soon as published.
    status: Mapped[str] = mapped_column(String(16), default=Status.DRAFT)
    # Its address is /parent-slug/slug/; deleting the parent makes it a top-level page.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("pages.id", ondelete="SET NULL"), index=True
    )
    published_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    image_id: Mapped[int | None] = mapped_column(ForeignKey("media.id", ondelete="SET NULL"))
    wp_id: Mapped[int | None] = mapped_column(index=True, unique=True)
    body_format: Mapped[str] = mapped_column(String(16), default="markdown")
    title: Mapped[str] = mapped_column(String(300))
    slug: Mapped[str] = mapped_column(String(320), unique=True)
    image_alt: Mapped[str] = mapped_column(String(300), default="")
    seo_title: Mapped[str] = mapped_column(String(300), default="")
    seo_description: Mapped[str] = mapped_column(String(500), default="")
    body_source: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")

    image: Mapped[Media | None] = relationship(lazy="raise")


class PageRevision(db.Model):
    """A page as it was before one of its saves."""

    __tablename__ = "page_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    body_format: Mapped[str] = mapped_column(String(16))
    body_source: Mapped[str] = mapped_column(Text)
    saved_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MenuItem(db.Model):
    """One link of the header or footer menu, in the order of position.

    kind says what it points at: a category or a page (by id: deleting it deletes the item),
    a custom link (label and url), or the archives or the feeds.
    """

    __tablename__ = "menu_items"
    __table_args__ = (Index("ix_menu_items_menu_position", "menu", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    menu: Mapped[str] = mapped_column(String(16))  # "header" or "footer"
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(16))  # category, page, link, archives, feeds
    label: Mapped[str] = mapped_column(String(120), default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), index=True
    )
    page_id: Mapped[int | None] = mapped_column(
        ForeignKey("pages.id", ondelete="CASCADE"), index=True
    )


class WordPressAddress(db.Model):
    """What a WordPress site called a category or an image: its old addresses lead here.

    A category by its term id (?cat=ID); an attachment by its id (?attachment_id=ID) and its
    slug (its attachment page), and its file by its path under uploads/ ("2024/05/a.jpg").
    Posts keep their WordPress id themselves (Post.wp_id).
    """

    __tablename__ = "wordpress_addresses"
    __table_args__ = (
        Index("ix_wordpress_addresses_kind_wp_id", "kind", "wp_id"),
        Index("ix_wordpress_addresses_kind_name", "kind", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "category", "attachment" or "upload"
    wp_id: Mapped[int | None]
    name: Mapped[str | None] = mapped_column(String(500))
    # The one its kind names is set.
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), index=True
    )
    media_id: Mapped[int | None] = mapped_column(
        ForeignKey("media.id", ondelete="CASCADE"), index=True
    )

    category: Mapped[Category | None] = relationship(lazy="raise")
    media: Mapped[Media | None] = relationship(lazy="raise")
