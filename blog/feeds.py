"""Atom 1.0 and RSS 2.0 feeds: the newest public posts, full content, absolute links."""

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import and_, select
from sqlalchemy.orm import joinedload, selectinload

from blog.extensions import db
from blog.models import Post
from blog.posts.listings import is_public
from blog.urls import absolute_url, base_url

FEED_SIZE = 20
ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
RSS_TYPE = "application/rss+xml; charset=utf-8"
# An empty feed still needs an `updated`; a fixed one keeps its ETag stable between polls.
EMPTY_FEED_UPDATED = datetime(1970, 1, 1)

# Characters XML 1.0 forbids even when escaped: a pasted control character must not make the
# whole feed unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Site-relative URL attributes in sanitized HTML (always double-quoted); "//host" stays.
_RELATIVE_LINK = re.compile(r'(\s(?:href|src|cite)=")(/(?!/)[^"]*)"')


@dataclass(frozen=True)
class Feed:
    """What a feed says about itself; URLs are absolute."""

    title: str
    subtitle: str
    page_url: str
    atom_url: str
    rss_url: str
    posts: list[Post]
    # Who publishes the feed: the site, whichever section the feed covers.
    publisher: str

    @property
    def updated(self) -> datetime:
        return max((post_updated(p) for p in self.posts), default=EMPTY_FEED_UPDATED)


def feed_posts(*criteria: Any, limit: int = FEED_SIZE) -> list[Post]:
    """Return the newest public posts matching criteria, with author, category and tags."""
    stmt = (
        select(Post)
        .where(and_(is_public(), *criteria))
        .order_by(Post.published_at.desc(), Post.id.desc())
        .limit(limit)
        .options(joinedload(Post.author), joinedload(Post.category), selectinload(Post.tags))
    )
    return list(db.session.scalars(stmt).unique())


def post_updated(post: Post) -> datetime:
    """Return when a post last changed for its readers, to the second.

    A scheduled post was saved before it went out: its publication is the later change.
    """
    return max(post.updated_at, post.published_at or post.updated_at).replace(microsecond=0)


def entry_id(post: Post, host: str) -> str:
    """Return the post's permanent feed id, a tag URI (RFC 4151).

    Built from the row id and the creation date, never from the title, slug or publication
    time, which the editor can change: readers would see an edited post as a new one.
    """
    return f"tag:{host},{post.created_at:%Y-%m-%d}:post-{post.id}"


def site_host() -> str:
    return urlsplit(base_url()).hostname or "localhost"


def site_origin() -> str:
    """Return the scheme and host of the site's public root, without its path."""
    parts = urlsplit(base_url())
    return f"{parts.scheme}://{parts.netloc}"


def absolutize_links(html: str, origin: str) -> str:
    """Return sanitized HTML with its root-relative href, src and cite values made absolute.

    A body's /x is a path from the host's root, as the browser reads it on the post's page:
    it already holds any prefix the site is mounted under, so it goes after the origin.
    """
    return _RELATIVE_LINK.sub(lambda m: f'{m.group(1)}{origin}{m.group(2)}"', html)


def rfc3339(value: datetime) -> str:
    """Format a stored (naive UTC) time for Atom and sitemaps."""
    return f"{value.isoformat(timespec='seconds')}Z"


def rfc822(value: datetime) -> str:
    """Format a stored (naive UTC) time for RSS."""
    return format_datetime(value.replace(microsecond=0, tzinfo=UTC), usegmt=True)


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    # Attributes too: a category or tag name is typed text, and lands in <category term>.
    element = ET.SubElement(parent, tag, {name: _text(value) for name, value in attrs.items()})
    if text is not None:
        element.text = _text(text)
    return element


def _serialize(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def atom_xml(feed: Feed) -> bytes:
    """Return the feed as an Atom 1.0 document (RFC 4287)."""
    origin, host = site_origin(), site_host()
    root = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": "en"})
    _add(root, "id", feed.atom_url)
    _add(root, "title", feed.title)
    if feed.subtitle:
        _add(root, "subtitle", feed.subtitle)
    _add(root, "updated", rfc3339(feed.updated))
    _add(root, "link", rel="self", type="application/atom+xml", href=feed.atom_url)
    _add(root, "link", rel="alternate", type="text/html", href=feed.page_url)
    # Every entry names its author too; the feed's own keeps an empty feed valid.
    _add(_add(root, "author"), "name", feed.publisher)
    for post in feed.posts:
        entry = _add(root, "entry")
        _add(entry, "id", entry_id(post, host))
        _add(entry, "title", post.title, type="text")
        post_url = absolute_url("public.post", slug=post.slug)
        _add(entry, "link", rel="alternate", type="text/html", href=post_url)
        _add(entry, "published", rfc3339(post.published_at))
        _add(entry, "updated", rfc3339(post_updated(post)))
        author = _add(entry, "author")
        _add(author, "name", post.author.display_name)
        _add(author, "uri", absolute_url("public.author", username=post.author.username))
        for name in _category_names(post):
            _add(entry, "category", term=name)
        _add(entry, "content", absolutize_links(post.body_html, origin), type="html")
    return _serialize(root)


def rss_xml(feed: Feed) -> bytes:
    """Return the feed as an RSS 2.0 document."""
    origin, host = site_origin(), site_host()
    root = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM_NS, "xmlns:dc": DC_NS})
    channel = _add(root, "channel")
    _add(channel, "title", feed.title)
    _add(channel, "link", feed.page_url)
    _add(channel, "description", feed.subtitle or feed.title)
    _add(channel, "atom:link", rel="self", type="application/rss+xml", href=feed.rss_url)
    _add(channel, "language", "en")
    _add(channel, "lastBuildDate", rfc822(feed.updated))
    for post in feed.posts:
        item = _add(channel, "item")
        _add(item, "title", post.title)
        _add(item, "link", absolute_url("public.post", slug=post.slug))
        _add(item, "guid", entry_id(post, host), isPermaLink="false")
        _add(item, "pubDate", rfc822(post.published_at))
        # RSS's own <author> must be an e-mail address; bylines have none.
        _add(item, "dc:creator", post.author.display_name)
        for name in _category_names(post):
            _add(item, "category", name)
        _add(item, "description", absolutize_links(post.body_html, origin))
    return _serialize(root)


def _category_names(post: Post) -> list[str]:
    """Return the post's category, then its tags: the terms readers file it under."""
    return [post.category.name, *(tag.name for tag in post.tags)]
