"""Readers' comments in a WordPress export: approved <wp:comment>s of their post or page."""

from html import escape as html_escape

from sqlalchemy import select

from blog.extensions import db
from blog.models import Comment
from blog.wordpress.wxr_writing import cdata, element, wxr_date, xml_text


def comments_of(owner, ids: list[int] | None, zone) -> dict[int, str]:
    """Return the <wp:comment> elements of comments by owner: one query.

    owner is Comment.post_id or Comment.page_id; ids the owners wanted, None for every one.
    """
    stmt = (
        select(Comment)
        .where(owner.is_not(None) if ids is None else owner.in_(ids))
        .order_by(owner, Comment.created_at, Comment.id)
    )
    written: dict[int, str] = {}
    key = owner.key
    for comment in db.session.scalars(stmt):
        owner_id = getattr(comment, key)
        written[owner_id] = written.get(owner_id, "") + _comment(comment, zone)
    return written


def _comment(comment: Comment, zone) -> str:
    """Return one approved comment as WordPress writes it; its text as HTML that shows it."""
    fields = {
        "comment_id": str(comment.wp_id),
        "comment_author": cdata(comment.author_name),
        "comment_author_email": cdata(""),
        "comment_author_url": xml_text(comment.author_url),
        "comment_author_IP": cdata(""),
        "comment_date": cdata(wxr_date(comment.created_at, zone)),
        "comment_date_gmt": cdata(wxr_date(comment.created_at)),
        "comment_content": cdata(html_escape(comment.text, quote=False)),
        "comment_approved": cdata("1"),
        "comment_type": cdata("comment"),
        "comment_parent": str(comment.parent_wp_id),
        "comment_user_id": "0",
    }
    inner = "".join(element(f"wp:{name}", value, "\t\t\t") for name, value in fields.items())
    return "\t\t<wp:comment>\n" + inner + "\t\t</wp:comment>\n"
