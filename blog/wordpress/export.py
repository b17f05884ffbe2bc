"""This site as a WordPress export (WXR 1.2), for WordPress's own importer.

The file follows what WordPress 6 writes (wp-admin/includes/export.php) element by element:
RSS 2.0 with the excerpt, content, wfw, dc and wp namespaces, every text in CDATA (a "]]>"
inside split as "]]]]><![CDATA[>", as wxr_cdata() does), authors, categories and tags before
the items, images as attachment items that WordPress downloads from attachment_url, readers'
comments (those imported from WordPress) as approved <wp:comment>s of their post or page. Titles
and names are HTML there ("News &amp; Views"), as WordPress keeps them.
Markdown bodies go out as their clean HTML; links to this site's paths become absolute.
"""

from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from blog.extensions import db
from blog.models import Category, Comment, Media, Post, Tag, User, utcnow
from blog.posts.featured import featured_positions
from blog.posts.status import Status
from blog.transfer.files import open_private, written_whole
from blog.wordpress.export_comments import comments_of
from blog.wordpress.export_site import (
    free_ids,
    menu_items,
    menu_terms,
    page_items,
    page_rows,
    stored_menus,
)
from blog.wordpress.wxr import NAMESPACES, WXR_VERSION, Progress
from blog.wordpress.wxr_writing import SITE_PATH as _SITE_PATH
from blog.wordpress.wxr_writing import cdata
from blog.wordpress.wxr_writing import element as _element
from blog.wordpress.wxr_writing import fields as _fields
from blog.wordpress.wxr_writing import item as _item
from blog.wordpress.wxr_writing import rss_date as _rss_date
from blog.wordpress.wxr_writing import tail as _tail
from blog.wordpress.wxr_writing import xml_text as _text

BATCH = 200


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
    # Pages and menu items share WordPress's ids with posts and attachments.
    page_ids = free_ids(page_rows(), set(ids.values()))
    menus = stored_menus()
    media = list(db.session.scalars(select(Media).order_by(Media.id)))
    first_free = max([*ids.values(), *page_ids.values(), 0]) + 1
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
        slugs = {category.id: category.slug for category in categories}
        out.writelines(_category(c, slugs.get(c.parent_id, "")) for c in parents_first(categories))
        out.writelines(_tag(tag, tag_offset) for tag in tags)
        out.write(menu_terms(menus, tag_offset + max((t.id for t in tags), default=0) + 1))
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
            comments = comments_of(Comment.post_id, batch, zone)
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
        out.writelines(page_items(page_ids, base, creator, zone))
        first_item = first_free + len(media)
        out.writelines(menu_items(menus, first_item, page_ids, base, creator, utcnow()))
        out.write("</channel>\n</rss>\n")
    counts = {"posts": len(posts), "pages": len(page_ids), "images": len(media)}
    menu_links = sum(len(entries) for entries in menus.values())
    return counts | {"categories": len(categories), "tags": len(tags), "menu items": menu_links}


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


def parents_first(categories: list[Category]) -> list[Category]:
    """Return the categories each after its parent: WordPress's importer files a category
    under a parent it has already made, else at the top."""
    by_id = {category.id: category for category in categories}
    placed: dict[int, Category] = {}

    def place(category: Category, seen: frozenset = frozenset()) -> None:
        parent = by_id.get(category.parent_id)
        if parent is not None and parent.id not in placed and parent.id not in seen:
            place(parent, seen | {category.id})
        placed.setdefault(category.id, category)

    for category in categories:
        place(category)
    return list(placed.values())


def _category(category: Category, parent_slug: str = "") -> str:
    description = (
        _element("wp:category_description", cdata(category.description))
        if category.description
        else ""
    )
    return (
        "\t<wp:category>\n"
        + _element("wp:term_id", str(category.id))
        + _element("wp:category_nicename", cdata(category.slug))
        + _element("wp:category_parent", cdata(parent_slug))
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
