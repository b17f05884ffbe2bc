"""WordPress: a WXR file's content written into this blog, in one transaction.

The mapping (README, "Moving content in and out"):
- Posts become posts; pages become pages (blog.wordpress.pages_import), posts with
  pages="posts", or are counted and skipped with pages="skip"; menus become the header and
  footer menus (blog.wordpress.menus_import); attachments become images when their file is
  found in the media folder given; anything else (revisions, custom types) is counted and skipped.
- publish -> published, future -> published at its future date (scheduled), draft, pending and
  private -> draft, trash -> trash. A post behind a password becomes a draft too (this blog has
  no passwords for posts): private and protected posts are named in the summary.
  post_date_gmt is the date; when WordPress left it at 0000-00-00 (drafts), post_date is read
  in the site's time zone.
- Every post's author is the editor's account: this blog has one editor.
- Slugs are kept (percent-decoded: this blog's slugs keep any script), so that the WordPress
  permalinks redirect; a slug already taken gets -2, -3 ... and is reported.
- The first category is the post's category, the others become tags; WordPress's category
  tree is kept (blog.wordpress.hierarchy). Categories and tags are found by slug, or created.
- The body becomes HTML as WordPress shows it (blog.wordpress.body), sanitized like any other.
- A post whose WordPress id the site already has is skipped: importing a file twice is safe.
  An item without an id (WordPress writes some files so) is skipped when a post without a
  WordPress id has its title and date, as WordPress's importer does (post_exists).
"""

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from html import escape
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from blog.accounts import ensure_editor_account
from blog.extensions import db
from blog.media import UploadError, save_upload
from blog.models import Category, Media, Post, Setting, Tag, WordPressAddress, utcnow
from blog.posts.featured import feature
from blog.posts.status import Status
from blog.redirects import remember_slug
from blog.render import BodyTooComplex, body_fields, plain_text, render_body
from blog.settings import load_settings, save_settings
from blog.slugs import slugify, unique_slug
from blog.wordpress.body import Gallery, convert_body, has_size_suffix, upload_key
from blog.wordpress.comments import earlier_post, import_comments
from blog.wordpress.hierarchy import keep_category_parents
from blog.wordpress.item_fields import counted as _n
from blog.wordpress.item_fields import html_name as _name
from blog.wordpress.item_fields import html_text as _text
from blog.wordpress.item_fields import item_date as _dated
from blog.wordpress.item_fields import item_status as _status
from blog.wordpress.item_fields import item_title as _title
from blog.wordpress.item_fields import remote_images
from blog.wordpress.menus_import import import_menus
from blog.wordpress.pages_import import import_pages
from blog.wordpress.wxr import Item, Progress, Wxr, WxrError
from blog.wordpress.zone import export_zone


@dataclass
class Report:
    """What an import did, for the summary at the end."""

    posts: int = 0
    pages: int = 0
    pages_skipped: int = 0
    images: int = 0
    images_missing: list[str] = field(default_factory=list)
    images_refused: list[str] = field(default_factory=list)
    images_attached: int = 0  # featured images found on a re-run, given to earlier posts
    already_imported: int = 0
    renamed: list[tuple[str, str]] = field(default_factory=list)
    hidden: list[tuple[str, str, str]] = field(default_factory=list)  # (title, slug, why)
    shortcodes: list[str] = field(default_factory=list)  # slugs of posts that keep some
    shortcode_names: Counter = field(default_factory=Counter)  # name -> how many left
    other_items: Counter = field(default_factory=Counter)
    attachments_left: int = 0  # no media folder given
    authors: list[str] = field(default_factory=list)
    editor: str = ""
    zone: str = ""  # the time zone the site took from the export, if it had none
    comments: Counter = field(default_factory=Counter)  # approved, held, spam, pings
    comments_done: Counter = field(default_factory=Counter)  # imported, hidden; pages with some
    formats: Counter = field(default_factory=Counter)  # post format name -> posts
    remote_images: int = 0  # <img> in bodies still on another host
    remote_hosts: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)  # from pages, menus ...: one line each

    def lines(self) -> list[str]:
        """Return the summary an editor reads at the end, one line per finding."""
        counts = _n(self.posts, "post"), _n(self.pages, "page"), _n(self.images, "image")
        lines = ["Imported {}, {} and {}.".format(*counts)]
        if self.authors:
            lines.append(
                f"Authors {', '.join(self.authors)}: their posts are the editor's ({self.editor})."
            )
        if self.pages_skipped:
            lines.append(
                f"Skipped {_n(self.pages_skipped, 'page')} "
                "(--pages=import brings them in as pages)."
            )
        if self.already_imported:
            lines.append(f"Skipped {_n(self.already_imported, 'post')} this site imported before.")
        for kind, count in sorted(self.other_items.items()):
            lines.append(f"Skipped {_n(count, 'item')} of type {kind}.")
        if self.attachments_left:
            lines.append(
                f"Left out {_n(self.attachments_left, 'attachment')}: --media-dir names the folder "
                "that holds WordPress's wp-content/uploads."
            )
        if self.images_missing:
            lines.append(
                f"{_n(len(self.images_missing), 'attachment')} without a file in the media folder: "
                + ", ".join(self.images_missing[:10])
            )
        lines.extend(f"Refused the image {refused}" for refused in self.images_refused)
        if self.images_attached:
            lines.append(
                f"Gave {_n(self.images_attached, 'post')} imported before their featured image, "
                "whose file this run found."
            )
        lines.extend(
            f"The slug {old} was taken: the post is at {new}." for old, new in self.renamed
        )
        lines.extend(
            f"{title} ({slug}) was {why} in WordPress: imported as a draft, which readers "
            "cannot see."
            for title, slug, why in self.hidden
        )
        if self.zone:
            lines.append(
                f"The site had no time zone: it is now {self.zone}, the one the export's dates "
                "were written in (Settings changes it)."
            )
        if self.formats:
            lines.append(
                "Post formats kept as tags: "
                + ", ".join(f"{name} {count}" for name, count in sorted(self.formats.items()))
                + "."
            )
        lines.extend(self._comment_lines())
        if self.remote_images:
            hosts = ", ".join(host for host, _ in self.remote_hosts.most_common(3))
            lines.append(
                f"Still loading from another site ({hosts}): {_n(self.remote_images, 'image')} "
                "in posts. Import into an empty site with --media-dir pointing at a copy of "
                "wp-content/uploads to bring them here."
            )
        if self.shortcodes:
            lines.append(
                f"Shortcodes this blog shows as text stay in {_n(len(self.shortcodes), 'post')}: "
                + ", ".join(self.shortcodes[:10])
            )
            lines.append(
                "Shortcodes left as text: "
                + ", ".join(
                    f"[{name}] {count}" for name, count in sorted(self.shortcode_names.items())
                )
                + "."
            )
        lines.extend(self.notes)
        return lines

    def _comment_lines(self) -> list[str]:
        lines = []
        under = "posts and pages" if self.comments_done["pages"] else "posts"
        if imported := self.comments_done["imported"]:
            lines.append(
                f"Imported {_n(imported, 'comment')}: shown under their {under}, read-only."
            )
        left = [
            (self.comments[kind], label)
            for kind, label in (
                ("held", "awaiting moderation"),
                ("spam", "spam"),
                ("pings", "pingbacks and trackbacks"),
            )
        ]
        left.append((self.comments_done["hidden"], f"of private or password-protected {under}"))
        if total := sum(count for count, _ in left):
            kinds = ", ".join(f"{count} {label}" for count, label in left if count)
            lines.append(f"Left out {_n(total, 'comment')} ({kinds}).")
        return lines


def site_zone(wxr: Wxr) -> tuple[ZoneInfo, str | None]:
    """Return the site's time zone for the import, and its name when taken from the export.

    A site whose editor never chose one (no setting, the default UTC) takes the zone the
    export's dates were written in, so that each post shows the calendar day WordPress showed.
    """
    settings = load_settings()
    chosen = db.session.scalar(select(Setting.value).where(Setting.key == "timezone"))
    if chosen is not None or current_app.config["TIMEZONE"] != "UTC":
        return settings.zone, None
    found = export_zone(wxr)
    if found is None or found == settings.timezone:
        return settings.zone, None
    save_settings(replace(settings, timezone=found))
    return ZoneInfo(found), found


def import_wxr(
    wxr: Wxr,
    *,
    zone: ZoneInfo,
    pages: str = "import",
    media_dir: Path | None = None,
    progress: Progress | None = None,
) -> Report:
    """Write a parsed WXR file's content into the site, in the caller's transaction.

    zone is the site's time zone, for the dates WordPress left without their UTC twin.
    pages: "import" makes WordPress's pages pages, "posts" posts, "skip" leaves them out.
    """
    editor = ensure_editor_account()
    report = Report(authors=wxr.authors, editor=editor.username)
    terms = _Terms(wxr)
    images = _Images()
    known = set(db.session.scalars(select(Post.wp_id).where(Post.wp_id.is_not(None))))
    if wxr.unnumbered:
        titled = select(Post.title, Post.created_at).where(Post.wp_id.is_(None))
        known |= {tuple(row) for row in db.session.execute(titled)}
    if media_dir is not None:
        images.load(wxr, Path(media_dir), report, progress)
    else:
        report.attachments_left = wxr.kinds["attachment"]
    # One item at a time from the file, written and flushed: the session keeps no post.
    for item in wxr.items():
        if item.post_type == "page" and pages != "posts":
            if pages == "skip":
                report.pages_skipped += 1
            continue  # pages="import": import_pages reads them below, after the posts
        if item.post_type not in ("post", "page"):
            if item.post_type not in ("attachment", "nav_menu_item"):
                report.other_items[item.post_type] += 1
            continue
        if progress:
            progress(1)
        identity = item.wp_id if item.wp_id is not None else _title_and_date(item, zone)
        # Without an id, the one of its plain link (/?p=ID), so that the link redirects.
        wp_id = item.wp_id if item.wp_id is not None else _link_id(item)
        if (identity is not None and identity in known) or (wp_id is not None and wp_id in known):
            report.already_imported += 1
            _attach_found_image(item, wp_id, images, report)
            # Its comments that an import made before this blog kept comments left out.
            if earlier := earlier_post(item, wp_id, _title_and_date(item, zone)):
                hidden = bool(_status(item)[1])
                report.comments_done += import_comments(
                    item, earlier, zone, hidden=hidden, new_post=False
                )
            continue
        known.update(key for key in (identity, wp_id) if key is not None)
        post = _post(item, wp_id, editor.id, terms, images, zone, report)
        db.session.add(post)
        db.session.flush()
        _remember_old_addresses(item, post)
        hidden = bool(_status(item)[1])
        report.comments_done += import_comments(item, post, zone, hidden=hidden, new_post=True)
        if item.sticky and item.post_type == "post":
            feature(post)  # in the file's order
        if item.post_type == "page":
            report.pages += 1
        else:
            report.posts += 1
    if pages == "import" and wxr.kinds["page"]:
        import_pages(
            wxr.items("page"),
            convert=lambda item: convert_body(
                item.content, images.urls, images.gallery(item.wp_id)
            ),
            images=images,
            zone=zone,
            report=report,
            link_id=_link_id,
            progress=progress,
        )
    import_menus(wxr, report)
    return report


def _title_and_date(item: Item, zone: ZoneInfo) -> tuple[str, datetime] | None:
    """Return what tells an item without a WordPress id from others: its title and date."""
    dated = _dated(item, zone)
    return (_title(item), dated) if dated else None


class _Terms:
    """The site's categories and tags by slug, with those the file defines added."""

    def __init__(self, wxr: Wxr):
        self.wxr = wxr
        self.categories = {c.slug: c for c in db.session.scalars(select(Category))}
        tags = list(db.session.scalars(select(Tag)))
        self.tags_by_slug = {t.slug: t for t in tags}
        self.tags_by_name = {t.name.lower(): t for t in tags}
        had = set(self.categories)
        for nicename, (name, _) in wxr.categories.items():
            self.category(nicename, name)
        made = {n for n, (name, _) in wxr.categories.items() if self._slug(n, name) not in had}
        keep_category_parents(wxr, lambda n: self.category(n, wxr.categories[n][0]), made)
        # Their WordPress term ids, for the old ?cat=ID links.
        known = set(
            db.session.scalars(
                select(WordPressAddress.wp_id).where(WordPressAddress.kind == "category")
            )
        )
        for nicename, term_id in wxr.category_ids.items():
            if term_id not in known:
                category = self.category(nicename, wxr.categories[nicename][0])
                db.session.add(WordPressAddress(kind="category", wp_id=term_id, category=category))
        for slug, name in wxr.tags.items():
            self.tag(slug, name)

    @staticmethod
    def _slug(nicename: str, name: str) -> str:
        return slugify(unquote(nicename) or name)

    def category(self, nicename: str, name: str) -> Category:
        slug = self._slug(nicename, name)
        if slug not in self.categories:
            defined, description = self.wxr.categories.get(nicename, (name, ""))
            self.categories[slug] = Category(
                name=_name(defined or name, slug),
                slug=slug,
                description=plain_text(render_body(description, "html")),
            )
            db.session.add(self.categories[slug])
        return self.categories[slug]

    def fallback(self) -> Category:
        return self.category("uncategorized", "Uncategorized")

    def tag(self, nicename: str, name: str) -> Tag:
        slug = slugify(unquote(nicename) or name)
        name = _name(name or self.wxr.tags.get(nicename, ""), slug)
        tag = self.tags_by_name.get(name.lower()) or self.tags_by_slug.get(slug)
        if tag is None:
            tag = Tag(name=name, slug=slug)
            db.session.add(tag)
            self.tags_by_slug[slug] = self.tags_by_name[name.lower()] = tag
        return tag


class _Images:
    """The attachments imported as images: by WordPress id, and their uploads' new URLs."""

    def __init__(self):
        self.by_id: dict[int, tuple[Media, str]] = {}  # attachment id -> (image, alt text)
        self.urls: dict[str, str] = {}  # upload_key -> this site's URL of the image
        # attachment id -> (this site's URL, alt text, caption), and by the post it belongs to
        self.shown: dict[int, tuple[str, str, str]] = {}
        self.children: dict[int, list[int]] = {}

    def gallery(self, post_id: int | None) -> Gallery:
        """Return what makes a post's [gallery] a figure of the imported images it shows."""

        def figure(attributes: dict[str, str]) -> str | None:
            listed = attributes.get("ids") or attributes.get("include") or ""
            ids = [int(n) for n in re.findall(r"[0-9]+", listed)[:100]]
            if not ids:
                # No ids: the images attached to the post, as WordPress shows them.
                left_out = {int(n) for n in re.findall(r"[0-9]+", attributes.get("exclude", ""))}
                ids = [n for n in self.children.get(post_id or -1, []) if n not in left_out]
            images = [self.shown[n] for n in ids if n in self.shown]
            if not images:
                return None
            return (
                "<figure>"
                + "".join(
                    f'<figure><img src="{url}" alt="{escape(alt)}">'
                    + (f"<figcaption>{escape(caption)}</figcaption>" if caption else "")
                    + "</figure>"
                    for url, alt, caption in images
                )
                + "</figure>"
            )

        return figure

    def load(self, wxr: Wxr, folder: Path, report: Report, progress) -> None:
        """Import every attachment whose file is in folder, as an upload would be.

        An attachment an earlier import stored is skipped: importing a file again adds no
        copies of its images, and brings in only the files that were missing before.
        """
        root = folder.resolve()
        adapter = current_app.url_map.bind("", script_name=current_app.config["APPLICATION_ROOT"])
        # Attachments an earlier import stored: a re-run with --media-dir brings in only the
        # others (files that were missing then), and attaches them to the posts it skips.
        stored_before = set(
            db.session.scalars(
                select(WordPressAddress.wp_id).where(
                    WordPressAddress.kind == "attachment", WordPressAddress.wp_id.is_not(None)
                )
            )
        )
        for item in wxr.items("attachment"):
            if progress:
                progress(1)
            if item.wp_id in stored_before:
                continue  # importing a file again adds no copies of its images
            url_path = unquote(urlsplit(item.attachment_url).path)
            # Its path under uploads/: WordPress's own record, else its URL's (a WordPress.com
            # files host serves uploads at the root: /2008/06/a.jpg).
            relative = url_path.lstrip("/")
            if "/uploads/" in url_path:
                relative = upload_key(url_path, exact=True)
            attached = item.meta.get("_wp_attached_file", "")
            candidates = [attached, relative, Path(url_path).name]
            paths = [(root / c).resolve() for c in candidates if c]
            path = next((p for p in paths if p.is_relative_to(root) and p.is_file()), None)
            if path is None:
                report.images_missing.append(Path(url_path).name or str(item.wp_id))
                continue
            try:
                with open(path, "rb") as stream:
                    media = save_upload(FileStorage(stream=stream, filename=path.name))
            except UploadError as error:
                report.images_refused.append(f"{path.name} ({error})")
                continue
            alt = item.meta.get("_wp_attachment_image_alt", "")
            self.by_id[item.wp_id] = (media, " ".join(alt.split())[:300])
            link = adapter.build("public.media", {"filename": media.filename})
            # Its attachment page (?attachment_id=ID, .../its-slug/) and its file's address.
            db.session.add(
                WordPressAddress(
                    kind="attachment",
                    wp_id=item.wp_id,
                    name=unquote(item.slug) or None,
                    media=media,
                )
            )
            db.session.add(
                WordPressAddress(
                    kind="upload",
                    name=upload_key(attached or relative, exact=True)[:500],
                    media=media,
                )
            )
            # Its own name, and the name its resized copies share: an original whose name
            # ends in a size ("banner-1200x400.jpg") never takes the place of "banner.jpg".
            self.urls[upload_key(item.attachment_url, exact=True)] = link
            if has_size_suffix(url_path):
                self.urls.setdefault(upload_key(item.attachment_url), link)
            else:
                self.urls[upload_key(item.attachment_url)] = link
            if item.wp_id is not None:
                caption = _text(item.excerpt)
                self.shown[item.wp_id] = (link, self.by_id[item.wp_id][1], caption)
                self.children.setdefault(item.parent, []).append(item.wp_id)
            report.images += 1


def _link_id(item: Item) -> int | None:
    """Return the id in an item's plain link (https://old.example/?p=19), if it is one."""
    query = parse_qs(urlsplit(item.link).query)
    value = (query.get("p") or query.get("page_id") or [""])[0]
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def _remember_old_addresses(item: Item, post: Post) -> None:
    """Keep the slugs a public post had on WordPress but not here: they redirect to it.

    Its <link> ends in the slug WordPress served it at, which is not always post_name (a
    renamed post); WordPress also keeps the slugs it had before in _wp_old_slug.
    """
    if post.status != Status.PUBLISHED:
        return
    path = urlsplit(item.link).path if not urlsplit(item.link).query else ""
    slugs = {
        unquote(path.rstrip("/").rpartition("/")[2]),
        unquote(item.meta.get("_wp_old_slug", "")),
    }
    for slug in slugs - {"", post.slug}:
        if len(slug) <= 320 and db.session.scalar(select(Post.id).where(Post.slug == slug)) is None:
            remember_slug("post", post.id, slug)


def _post(
    item: Item, wp_id: int | None, author_id: int, terms: _Terms, images: _Images, zone, report
) -> Post:
    converted = convert_body(item.content, images.urls, images.gallery(item.wp_id))
    body = converted.html
    # A trashed post's slug has "__trashed" appended; WordPress keeps the one it had.
    original = item.meta.get("_wp_desired_post_slug") if item.status == "trash" else None
    given = unquote(original or item.slug)
    wanted = slugify(given or item.title)
    slug = unique_slug(Post, wanted)
    if given and slug != wanted:
        report.renamed.append((given, slug))
    hosts = remote_images(body)
    report.remote_images += len(hosts)
    report.remote_hosts.update(hosts)
    report.comments.update(item.comments)
    report.formats.update(_name(name, nicename) for nicename, name in item.formats)
    if converted.shortcodes:
        report.shortcodes.append(slug)
        report.shortcode_names.update(converted.shortcodes)
    dated = _dated(item, zone)
    status, hidden = _status(item)
    if hidden:
        report.hidden.append((_title(item), slug, hidden))
    # A draft keeps a date only when WordPress fixed it (post_date_gmt set).
    published = (dated or utcnow()) if item.status in ("publish", "future") else item.date_gmt
    category, *others = [terms.category(*c) for c in item.categories] or [terms.fallback()]
    # A post has one category here: the others become tags, so that none is lost.
    tags = [terms.tag(*t) for t in item.tags] + [terms.tag(c.slug, c.name) for c in others]
    # A post format (quote, link, gallery ...) is a tag here: post-format-quote, "Format: Quote".
    tags += [
        terms.tag(nicename, f"Format: {_name(name, nicename)}") for nicename, name in item.formats
    ]
    thumbnail = item.meta.get("_thumbnail_id", "").strip()
    image, alt = images.by_id.get(int(thumbnail) if thumbnail.isdigit() else -1, (None, ""))
    excerpt = plain_text(render_body(item.excerpt, "html"))
    if not excerpt and converted.teaser:
        # The part before <!--more-->: what WordPress shows of the post in its lists.
        excerpt = plain_text(render_body(converted.teaser, "html"))
    seo_title = item.meta.get("_yoast_wpseo_title", "")
    return Post(
        wp_id=wp_id,
        title=_title(item),
        slug=slug,
        body_format="html",
        body_source=body,
        **_body_fields(item, body, excerpt),
        status=status,
        published_at=published,
        created_at=dated or utcnow(),
        updated_at=item.modified_gmt or dated or utcnow(),
        author_id=author_id,
        category=category,
        tags=list(dict.fromkeys(tags)),
        image=image,
        image_alt=alt,
        # Yoast SEO's overrides, unless they hold its %%variables%%.
        seo_title="" if "%%" in seo_title else " ".join(seo_title.split())[:300],
        seo_description=" ".join(item.meta.get("_yoast_wpseo_metadesc", "").split())[:500],
        version=1,
    )


def _body_fields(item: Item, body: str, excerpt: str) -> dict:
    try:
        return body_fields(body, "html", excerpt).as_dict()
    except BodyTooComplex as error:
        raise WxrError(f"Item {item.title!r} is too complex to render ({error}).") from None


def _attach_found_image(item: Item, wp_id: int | None, images: _Images, report: Report) -> None:
    """Give a post imported before its featured image, when this run found the image's file.

    A look-up only for an item whose image this run stored: a re-import stays cheap.
    """
    thumbnail = item.meta.get("_thumbnail_id", "").strip()
    found = images.by_id.get(int(thumbnail)) if thumbnail.isdigit() else None
    if found is None or wp_id is None:
        return
    post = db.session.scalar(select(Post).where(Post.wp_id == wp_id, Post.image_id.is_(None)))
    if post is not None:
        post.image, post.image_alt = found
        report.images_attached += 1
