"""WordPress: the readers' comments of an imported post or page, kept as plain text.

Only approved comments come in; held ones, spam, pingbacks and trackbacks stay out, and so do
every comment of a post or page WordPress hid from readers (private, or behind a password):
they were never public, and the post here is a draft that the editor may publish one day.
A comment is known by its WordPress id within its post or page: importing a file again adds
none twice, and brings in those a post or page imported before this blog kept them did not have.
"""

import re
from collections import Counter
from dataclasses import replace
from html import unescape
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from sqlalchemy import select

from blog.dates import to_utc
from blog.extensions import db
from blog.models import Comment, Page, Post
from blog.posts.comments import author_url
from blog.wordpress.wxr import Item, ReaderComment

# Where WordPress's HTML breaks a line or a paragraph: the plain text keeps the break.
_PARAGRAPH_TAGS = {"p", "div", "blockquote", "pre", "ul", "ol", "li", "h1", "h2", "h3", "h4"}
_UNSEEN_TAGS = {"script", "style", "template", "textarea", "noscript"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TAG = re.compile(r"<[^>]*>?")
AUTHOR_LENGTH = 245  # WordPress's tinytext comment_author, in characters


class _TextOf(HTMLParser):
    """Collects the text a reader sees of a comment's HTML, with its line breaks."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.unseen = 0

    def handle_starttag(self, tag, attrs):
        if tag in _UNSEEN_TAGS:
            self.unseen += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _PARAGRAPH_TAGS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag):
        if tag in _UNSEEN_TAGS:
            self.unseen = max(0, self.unseen - 1)
        elif tag in _PARAGRAPH_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data):
        if not self.unseen:
            self.parts.append(data)


def comment_text(html: str) -> str:
    """Return a comment's HTML as plain text: tags gone, paragraphs a blank line apart.

    WordPress keeps a comment's paragraphs as blank lines (wpautop makes them <p> when shown);
    some comments carry <p> and <br> of their own. Both come out the same.
    """
    parser = _TextOf()
    try:
        parser.feed(html.replace("\r\n", "\n"))
        parser.close()
        text = "".join(parser.parts)
    except AssertionError:
        # html.parser gives up on some broken markup ("<![><img ..."): one comment must not
        # stop the import, so its tags go the blunt way.
        text = unescape(_TAG.sub("", html))
    text = _CONTROL.sub("", text)
    lines = [" ".join(line.split()) for line in text.split("\n")]
    paragraphs = "\n".join(lines).split("\n\n")
    return "\n\n".join(p.strip("\n") for p in paragraphs if p.strip())


def _author(name: str) -> str:
    # WordPress keeps the name as text, sometimes with its entities ("Tom &amp; Jerry").
    text = " ".join(_CONTROL.sub("", unescape(_TAG.sub("", name))).split())
    return text[:AUTHOR_LENGTH] or "Anonymous"


def earlier_post(item: Item, wp_id: int | None, title_and_date) -> Post | None:
    """Return the post an earlier import made of the item, if it has comments to bring in."""
    if not any(c.kind == "approved" for c in item.reader_comments):
        return None  # no look-up: a re-import of a large file stays one query per post less
    if wp_id is not None:
        return db.session.scalar(select(Post).where(Post.wp_id == wp_id))
    if title_and_date is None:
        return None
    title, dated = title_and_date
    same = select(Post).where(Post.wp_id.is_(None), Post.title == title, Post.created_at == dated)
    return db.session.scalar(same.limit(1))


def earlier_page(item: Item, wp_id: int) -> Page | None:
    """Return the page an earlier import made of the item, if it has comments to bring in."""
    if not any(c.kind == "approved" for c in item.reader_comments):
        return None
    return db.session.scalar(select(Page).where(Page.wp_id == wp_id))


def import_comments(
    item: Item, post: Post | Page, zone: ZoneInfo, *, hidden: bool, new_post: bool
) -> Counter:
    """Add the item's approved comments the post (or page) lacks; return what was done, by kind.

    hidden: WordPress hid the post from readers. The counts: "imported", and "hidden"
    (approved comments of such a post, left out).
    """
    done: Counter = Counter()
    approved = [c for c in item.reader_comments if c.kind == "approved"]
    if not approved:
        return done
    if hidden:
        done["hidden"] = len(approved)
        return done
    owner = Comment.page_id if isinstance(post, Page) else Comment.post_id
    known = (
        set()
        if new_post
        else set(db.session.scalars(select(Comment.wp_id).where(owner == post.id)))
    )
    # WordPress always writes <wp:comment_id>; a file without gives each comment the one
    # after the item's highest in its order, the same on every import of that file.
    top = max((c.wp_id for c in item.reader_comments), default=0)
    for number, comment in enumerate(item.reader_comments, 1):
        if comment.kind != "approved":
            continue
        if not comment.wp_id:
            comment = replace(comment, wp_id=top + number)
        if comment.wp_id in known:
            continue
        known.add(comment.wp_id)
        db.session.add(_comment(comment, post, zone))
        done["imported"] += 1
    return done


def _comment(comment: ReaderComment, post: Post | Page, zone: ZoneInfo) -> Comment:
    dated = comment.date_gmt or (comment.date_local and to_utc(comment.date_local, zone))
    owner = "page_id" if isinstance(post, Page) else "post_id"
    return Comment(
        **{owner: post.id},
        wp_id=comment.wp_id,
        parent_wp_id=comment.parent,
        author_name=_author(comment.author),
        author_url=author_url(comment.author_url),
        created_at=dated or post.created_at,
        text=comment_text(comment.content) or "…",
    )
