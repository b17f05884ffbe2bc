"""This site as a WordPress export (WXR 1.2), for WordPress's own importer.

The file follows what WordPress 6 writes (wp-admin/includes/export.php) element by element:
RSS 2.0 with the excerpt, content, wfw, dc and wp namespaces, every text in CDATA (a "]]>"
inside split as "]]]]><![CDATA[>", as wxr_cdata() does), authors, categories and tags before
the items, images as attachment items that WordPress downloads from attachment_url, readers'
comments (those imported from WordPress) as approved <wp:comment>s of their post. Titles
and names are HTML there ("News &amp; Views"), as WordPress keeps them.
Markdown bodies go out as their clean HTML; links to this site's paths become absolute.
"""

import re
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape as html_escape
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from blog.dates import to_local
from blog.extensions import db
from blog.models import Category, Comment, Media, Post, Tag, User, utcnow
from blog.posts.featured import featured_positions
from blog.posts.status import Status
from blog.transfer.files import open_private, written_whole
from blog.wordpress.wxr import NAMESPACES, NO_DATE, WXR_VERSION, Progress

# Characters XML 1.0 forbids even in CDATA: a file holding one would not parse at all.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SITE_PATH = re.compile(r'\b(src|href)="/(?!/)')
BATCH = 200


def cdata(text: str) -> str:
    """Wrap text in CDATA as WordPress's wxr_cdata() does, "]]>" split across two sections."""
    return "<![CDATA[" + _NOT_XML.sub("", text).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _text(text: str) -> str:
    return escape(_NOT_XML.sub("", text), {'"': "&quot;"})


def _date(value: datetime | None, zone: ZoneInfo | None = None) -> str:
    """Return a stored (naive UTC) time as WordPress writes dates, in the zone if given."""
    if value is None:
        return NO_DATE
    return (to_local(value, zone) if zone else value).strftime("%Y-%m-%d %H:%M:%S")


def _rss_date(value: datetime) -> str:
    return format_datetime(value.replace(tzinfo=UTC, microsecond=0))


def _element(name: str, value: str, indent: str = "\t\t") -> str:
    return f"{indent}<{name}>{value}</{name}>\n"


def export_wxr(
    target: Path,
    *,
    base_url: str,
    title: str,
    tagline: str,
    zone: ZoneInfo,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Write every post and image to target; return how many of each kind it holds.

    base_url is the site's public root: links point there, and WordPress downloads the images
    from it. The file appears whole or not at all (written beside target, then renamed), and
    only this account can read it: it holds the drafts.
    """
    target, base = Path(target), base_url.rstrip("/")
    posts = db.session.execute(select(Post.id, Post.wp_id).order_by(Post.id)).all()
    ids = _wordpress_ids(posts)
    media = list(db.session.scalars(select(Media).order_by(Media.id)))
    first_free = max([*ids.values(), 0]) + 1
    media_ids = {m.id: first_free + n for n, m in enumerate(media)}
    users = list(db.session.scalars(select(User).order_by(User.id)))
    categories = list(db.session.scalars(select(Category).order_by(Category.id)))
    tags = list(db.session.scalars(select(Tag).order_by(Tag.id)))
    # WordPress keeps categories and tags in one table: their term ids must not meet.
    tag_offset = max((c.id for c in categories), default=0)
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        written_whole(target) as partial,
        open_private(partial, "w", encoding="utf-8", newline="\n") as out,
    ):
        out.write(_channel(base, title, tagline))
        out.writelines(_author(user) for user in users)
        out.writelines(_category(category) for category in categories)
        out.writelines(_tag(tag, tag_offset) for tag in tags)
        out.write(f"\n\t<generator>{_text(base)}/</generator>\n\n")
        creator = users[0].username if users else "editor"
        alts = dict(
            db.session.execute(
                select(Post.image_id, Post.image_alt).where(Post.image_alt != "")
            ).all()
        )
        for m in media:
            out.write(_attachment(m, media_ids[m.id], base, creator, alts.get(m.id), zone))
        now = utcnow()
        featured = featured_positions()
        for start in range(0, len(posts), BATCH):
            batch = [post_id for post_id, _ in posts[start : start + BATCH]]
            stmt = (
                select(Post)
                .where(Post.id.in_(batch))
                .order_by(Post.id)
                .options(
                    joinedload(Post.author),
                    joinedload(Post.category),
                    selectinload(Post.tags),
                )
            )
            comments = _comments_of(batch, zone)
            for post in db.session.scalars(stmt).unique():
                out.write(
                    _post(
                        post,
                        ids[post.id],
                        media_ids,
                        base,
                        zone,
                        now,
                        tag_offset,
                        post.id in featured,
                        comments.get(post.id, ""),
                    )
                )
            if progress:
                progress(len(batch))
        out.write("</channel>\n</rss>\n")
    counts = {"posts": len(posts), "images": len(media)}
    return counts | {"categories": len(categories), "tags": len(tags)}


def _wordpress_ids(posts) -> dict[int, int]:
    """Return each post's id in the file: the one it was imported with, else its own if free."""
    taken = {wp_id for _, wp_id in posts if wp_id is not None}
    next_free = max([*taken, *(post_id for post_id, _ in posts), 0]) + 1
    ids = {}
    for post_id, wp_id in posts:
        if wp_id is None:
            wp_id = post_id if post_id not in taken else next_free
            next_free += wp_id == next_free
            taken.add(wp_id)
        ids[post_id] = wp_id
    return ids


def _channel(base: str, title: str, tagline: str) -> str:
    namespaces = "".join(f'\n\txmlns:{prefix}="{uri}"' for prefix, uri in NAMESPACES.items())
    created = datetime.now(UTC)
    return (
        '<?xml version="1.0" encoding="UTF-8" ?>\n'
        "<!-- This is a WordPress eXtended RSS file, written by this blog as an export of -->\n"
        "<!-- its posts, images, categories and tags. To import it into WordPress: Tools: -->\n"
        '<!-- Import, "WordPress", upload this file, and tick "Download and import file -->\n'
        '<!-- attachments" to copy the images from this site, which must be online. -->\n'
        f'<!-- generator="blog" created="{created:%Y-%m-%d %H:%M}" -->\n'
        f'<rss version="2.0"{namespaces}\n>\n\n<channel>\n'
        + _element("title", _text(title), "\t")
        + _element("link", _text(base), "\t")
        + _element("description", _text(tagline), "\t")
        + _element("pubDate", _rss_date(created), "\t")
        + _element("language", "en", "\t")
        + _element("wp:wxr_version", WXR_VERSION, "\t")
        + _element("wp:base_site_url", _text(base), "\t")
        + _element("wp:base_blog_url", _text(base), "\t")
        + "\n"
    )


def _author(user: User) -> str:
    fields = {
        "author_id": str(user.id),
        "author_login": cdata(user.username),
        "author_email": cdata(""),
        "author_display_name": cdata(user.display_name),
        "author_first_name": cdata(""),
        "author_last_name": cdata(""),
    }
    inner = "".join(f"<wp:{name}>{value}</wp:{name}>" for name, value in fields.items())
    return f"\t<wp:author>{inner}</wp:author>\n"


def _category(category: Category) -> str:
    description = (
        _element("wp:category_description", cdata(category.description))
        if category.description
        else ""
    )
    return (
        "\t<wp:category>\n"
        + _element("wp:term_id", str(category.id))
        + _element("wp:category_nicename", cdata(category.slug))
        + _element("wp:category_parent", cdata(""))
        + _element("wp:cat_name", cdata(escape(category.name)))
        + description
        + "\t</wp:category>\n"
    )


def _tag(tag: Tag, offset: int) -> str:
    return (
        "\t<wp:tag>\n"
        + _element("wp:term_id", str(offset + tag.id))
        + _element("wp:tag_slug", cdata(tag.slug))
        + _element("wp:tag_name", cdata(escape(tag.name)))
        + "\t</wp:tag>\n"
    )


def _item(fields: dict[str, str], terms: list[str], meta: dict[str, str], comments="") -> str:
    """Return one <item>, its elements in WordPress's order; the values are XML already."""
    lines = [_element(name, value) for name, value in fields.items()]
    lines = [line.replace("<guid>", '<guid isPermaLink="false">') for line in lines]
    lines += [f"\t\t{term}\n" for term in terms]
    for key, value in meta.items():
        lines.append(
            "\t\t<wp:postmeta>\n"
            + _element("wp:meta_key", cdata(key))
            + _element("wp:meta_value", cdata(value))
            + "\t\t</wp:postmeta>\n"
        )
    return "\t<item>\n" + "".join(lines) + comments + "\t</item>\n"


def _fields(title, link, guid, dated, creator, content, excerpt, wp_id, gmt, modified, zone):
    return {
        "title": cdata(title),
        "link": _text(link),
        "pubDate": _rss_date(dated),
        "dc:creator": cdata(creator),
        "guid": _text(guid),
        "description": "",
        "content:encoded": cdata(content),
        "excerpt:encoded": cdata(excerpt),
        "wp:post_id": str(wp_id),
        "wp:post_date": cdata(_date(dated, zone)),
        "wp:post_date_gmt": cdata(_date(gmt)),
        "wp:post_modified": cdata(_date(modified, zone)),
        "wp:post_modified_gmt": cdata(_date(modified)),
        "wp:comment_status": cdata("closed"),
        "wp:ping_status": cdata("closed"),
    }


def _tail(slug: str, status: str, post_type: str, sticky: bool = False) -> dict[str, str]:
    return {
        "wp:post_name": cdata(slug),
        "wp:status": cdata(status),
        "wp:post_parent": "0",
        "wp:menu_order": "0",
        "wp:post_type": cdata(post_type),
        "wp:post_password": cdata(""),
        "wp:is_sticky": "1" if sticky else "0",
    }


def _attachment(media: Media, wp_id: int, base, creator, alt: str | None, zone) -> str:
    url = f"{base}/media/{media.filename}"
    title = media.original_name.rpartition(".")[0] or media.original_name or media.filename
    made = media.created_at
    fields = _fields(title, url, url, made, creator, "", "", wp_id, made, made, zone)
    fields |= _tail(media.filename.rpartition(".")[0], "inherit", "attachment")
    fields["wp:attachment_url"] = cdata(url)
    meta = {"_wp_attached_file": media.filename}
    if alt:
        meta["_wp_attachment_image_alt"] = alt
    return _item(fields, [], meta)


def _comments_of(post_ids: list[int], zone) -> dict[int, str]:
    """Return the <wp:comment> elements of these posts' comments, by post: one query."""
    stmt = (
        select(Comment)
        .where(Comment.post_id.in_(post_ids))
        .order_by(Comment.post_id, Comment.created_at, Comment.id)
    )
    written: dict[int, str] = {}
    for comment in db.session.scalars(stmt):
        written[comment.post_id] = written.get(comment.post_id, "") + _comment(comment, zone)
    return written


def _comment(comment: Comment, zone) -> str:
    """Return one approved comment as WordPress writes it; its text as HTML that shows it."""
    fields = {
        "comment_id": str(comment.wp_id),
        "comment_author": cdata(comment.author_name),
        "comment_author_email": cdata(""),
        "comment_author_url": _text(comment.author_url),
        "comment_author_IP": cdata(""),
        "comment_date": cdata(_date(comment.created_at, zone)),
        "comment_date_gmt": cdata(_date(comment.created_at)),
        "comment_content": cdata(html_escape(comment.text, quote=False)),
        "comment_approved": cdata("1"),
        "comment_type": cdata("comment"),
        "comment_parent": str(comment.parent_wp_id),
        "comment_user_id": "0",
    }
    inner = "".join(_element(f"wp:{name}", value, "\t\t\t") for name, value in fields.items())
    return "\t\t<wp:comment>\n" + inner + "\t\t</wp:comment>\n"


def _post(
    post: Post, wp_id: int, media_ids, base: str, zone, now, tag_offset, sticky=False, comments=""
) -> str:
    body = post.body_source if post.body_format == "html" else post.body_html
    status = post.status
    if status == Status.PUBLISHED:
        status = "future" if post.is_scheduled(now) else "publish"
    fields = _fields(
        escape(post.title),
        f"{base}/posts/{post.slug}",
        f"{base}/?p={wp_id}",
        post.published_at or post.created_at,
        post.author.username,
        _SITE_PATH.sub(rf'\1="{base}/', body),
        post.excerpt if post.custom_excerpt else "",
        wp_id,
        # As in WordPress, a draft whose date was never fixed has no date in UTC.
        post.published_at,
        post.updated_at,
        zone,
    )
    # A featured post is what WordPress calls sticky (its order is WordPress's own).
    fields |= _tail(post.slug, status, "post", sticky)
    terms = [
        f'<category domain="category" nicename="{_text(post.category.slug)}">'
        f"{cdata(escape(post.category.name))}</category>"
    ]
    terms += [
        f'<category domain="post_tag" nicename="{_text(tag.slug)}">{cdata(escape(tag.name))}'
        "</category>"
        for tag in post.tags
    ]
    meta = {}
    if post.image_id is not None:
        meta["_thumbnail_id"] = str(media_ids[post.image_id])
    if post.seo_title:
        meta["_yoast_wpseo_title"] = post.seo_title
    if post.seo_description:
        meta["_yoast_wpseo_metadesc"] = post.seo_description
    return _item(fields, terms, meta, comments)
