"""Export and import: the site's content as a documented, versioned JSON-plus-files archive.

Archive layout (a zip file; format "blog-export", version 1; README "Moving content in and out")::

    content.json   format, version, exported_at, counts, settings, and the rows of users,
                   categories, tags, media, posts (each with its tag ids), revisions,
                   old_slugs, featured_posts (post_id, position), pages, page_revisions,
                   menu_items, wordpress_addresses, comments and author_photos (user_id,
                   media_id) (each of the last eight absent from archives made before it
                   existed: none); media rows carry alt, caption and credit (absent before:
                   blank); a category's parent_id (absent from archives made before
                   categories had parents: none); a comment's post_id or page_id (page_id
                   absent from archives made before pages had comments: none)
    media/NAME     every stored image file, originals and resized copies; each media row lists
                   its files with their size and SHA-256

Rows keep their ids, so that an import into an empty site gives back the same rows. What an
export leaves out: the accounts' password hashes and session tokens (an export is for moving
content; the backup is for credentials), sign-in bookkeeping, and the search index (derived).

An import reads and checks the whole archive first (read_archive, here), then writes it in the
caller's transaction (blog.transfer.importing).
"""

import hashlib
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import func, select

from blog.dates import EARLIEST_YEAR, in_post_years, latest_year
from blog.extensions import db
from blog.media import CONTENT_TYPES, STORED_NAME, variant_files
from blog.models import (
    AuthorPhoto,
    Category,
    Comment,
    FeaturedPost,
    Media,
    MenuItem,
    OldSlug,
    Page,
    PageRevision,
    Post,
    Revision,
    Setting,
    Tag,
    User,
    WordPressAddress,
    post_tags,
)
from blog.posts.comments import author_url
from blog.posts.status import Status
from blog.render import FORMATS as BODY_FORMATS
from blog.storage import media_storage
from blog.transfer.files import open_private, sha256, written_whole

FORMAT = "blog-export"
VERSION = 1
CONTENT = "content.json"
MEDIA = "media"
STATUSES = tuple(Status)
OLD_SLUG_KINDS = ("post", "category", "tag", "page")
MENUS = ("header", "footer")
MENU_KINDS = ("category", "page", "link", "archives", "feeds")

# The columns an archive holds, per table, in the order they are written and restored.
TABLES = {
    "users": (User, "id username display_name bio created_at"),
    "categories": (Category, "id name slug description parent_id"),
    "tags": (Tag, "id name slug"),
    "media": (
        Media,
        "id filename original_name content_type width height variants created_at alt caption"
        " credit",
    ),
    "posts": (
        Post,
        "id title slug body_format body_source body_html excerpt custom_excerpt word_count status"
        " version published_at created_at updated_at author_id category_id image_id image_alt"
        " seo_title seo_description wp_id",
    ),
    "revisions": (
        Revision,
        "id post_id version title body_format body_source excerpt saved_at created_at",
    ),
    "featured_posts": (FeaturedPost, "id post_id position"),
    "pages": (
        Page,
        "id title slug parent_id body_format body_source body_html status version published_at"
        " created_at updated_at image_id image_alt seo_title seo_description wp_id",
    ),
    "page_revisions": (
        PageRevision,
        "id page_id version title body_format body_source saved_at created_at",
    ),
    "menu_items": (MenuItem, "id menu position kind label url category_id page_id"),
    # After pages: a page's old address names it.
    "old_slugs": (OldSlug, "id kind slug post_id category_id tag_id page_id created_at"),
    "wordpress_addresses": (WordPressAddress, "id kind wp_id name category_id media_id"),
    "comments": (
        Comment,
        "id post_id page_id wp_id parent_wp_id author_name author_url created_at text",
    ),
    "author_photos": (AuthorPhoto, "id user_id media_id"),
}
# Tables added after version 1 came out: an archive made before them has none of their rows.
LATER_TABLES = (
    "old_slugs",
    "featured_posts",
    "pages",
    "page_revisions",
    "menu_items",
    "wordpress_addresses",
    "comments",
    "author_photos",
)
# Columns added after version 1 came out, with what an archive made before them means.
LATER_COLUMNS = {"media": {"alt": "", "caption": "", "credit": ""}}
WORDPRESS_KINDS = {"category": "category_id", "attachment": "media_id", "upload": "media_id"}
TABLES = {table: (model, tuple(columns.split())) for table, (model, columns) in TABLES.items()}
Progress = Callable[[int], object]


class TransferError(Exception):
    """An export or import that cannot go ahead; the message says why."""


class SiteHasContent(TransferError):
    """An import would mix the archive's content with the site's own."""


@dataclass
class Archive:
    """A checked archive: its content.json and where its files are."""

    path: Path
    content: dict

    @property
    def size(self) -> int:
        """How many steps an import takes: one per post and one per media file."""
        files = sum(len(row["files"]) for row in self.content["media"])
        return len(self.content["posts"]) + files


def _json_value(value):
    return value.isoformat() if isinstance(value, datetime) else value


def export_size() -> int:
    """Return how many steps an export takes: one per post and one per media file."""
    posts = db.session.scalar(select(func.count()).select_from(Post))
    media = db.session.execute(select(Media.filename, Media.variants)).mappings()
    return posts + sum(len(_file_names(row)) for row in media)


def summary(counts: dict[str, int]) -> str:
    """Return what an archive holds, in words: "12 posts, 30 revisions, 2 categories ..."."""
    words = {"posts": "posts", "revisions": "revisions", "categories": "categories"}
    words |= {"tags": "tags", "media": "images", "users": "authors"}
    return ", ".join(f"{counts[table]} {word}" for table, word in words.items())


def export_site(target: Path, progress: Progress | None = None) -> dict:
    """Write the site's content to the zip archive target; return how many rows of each kind.

    The images' files are read from the site's media storage, folder or bucket. The archive
    appears whole or not at all (written beside target, then renamed).
    """
    target = Path(target)
    if target.is_dir():
        raise TransferError(f"{target} is a folder; name the archive: {target / 'blog.zip'}")
    content: dict = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": dict(db.session.execute(select(Setting.key, Setting.value)).all()),
    }
    for table, (model, columns) in TABLES.items():
        rows = db.session.scalars(select(model).order_by(model.id))
        content[table] = [{c: _json_value(getattr(row, c)) for c in columns} for row in rows]
    tagged: dict[int, list[int]] = {}
    links = select(post_tags.c.post_id, post_tags.c.tag_id).order_by(post_tags.c.tag_id)
    for post_id, tag_id in db.session.execute(links):
        tagged.setdefault(post_id, []).append(tag_id)
    for post in content["posts"]:
        post["tags"] = tagged.get(post["id"], [])
    content["counts"] = {table: len(content[table]) for table in TABLES}
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        written_whole(target) as partial,
        open_private(partial) as file,
        zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for row in content["media"]:
            row["files"] = [_add_file(archive, name) for name in _file_names(row)]
            if progress:
                progress(len(row["files"]))
        archive.writestr(CONTENT, json.dumps(content, indent=1, ensure_ascii=False) + "\n")
        if progress:
            progress(len(content["posts"]))
    return content["counts"]


def _file_names(media_row: dict) -> list[str]:
    """Return the names of an image's files: the original, then its resized copies."""
    return [media_row["filename"], *variant_files(SimpleNamespace(**media_row))]


def _add_file(archive: zipfile.ZipFile, name: str) -> dict:
    store = media_storage()
    try:
        data = store.read(name)  # an image: 16 MB at most
    except FileNotFoundError:
        raise TransferError(
            f"The media file {name} is missing from {store}: restore it from a backup "
            "first, or delete that image in the editor."
        ) from None
    # Images are compressed already: stored, not deflated again.
    archive.writestr(f"{MEDIA}/{name}", data, compress_type=zipfile.ZIP_STORED)
    digest = hashlib.sha256(data).hexdigest()
    return {"path": f"{MEDIA}/{name}", "size": len(data), "sha256": digest}


def read_archive(source: Path) -> Archive:
    """Open and check the whole archive at source (entries, content.json, every file's checksum)."""
    source = Path(source)
    try:
        with zipfile.ZipFile(source) as archive:
            names = archive.namelist()
            if CONTENT not in names:
                raise TransferError(f"{source} has no {CONTENT}: not an export of this blog.")
            try:
                content = json.loads(archive.read(CONTENT).decode("utf-8"))
            except ValueError:
                raise TransferError(f"The archive's {CONTENT} is damaged.") from None
            _check_content(content)
            listed = {f["path"]: f for row in content["media"] for f in row["files"]}
            present = set(names) - {CONTENT}
            if missing := sorted(listed.keys() - present):
                raise TransferError(f"The archive is incomplete: {', '.join(missing[:3])} missing.")
            if extra := sorted(present - listed.keys()):
                raise TransferError(f"The archive holds {extra[0]}, which content.json lacks.")
            for name, entry in listed.items():
                with archive.open(name) as stream:
                    if sha256(stream) != (entry["size"], entry["sha256"]):
                        raise TransferError(f"{name} does not match its checksum: damaged.")
    except FileNotFoundError:
        raise TransferError(f"There is no archive at {source}.") from None
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise TransferError(f"{source} is damaged or incomplete ({error}).") from None
    return Archive(source, content)


def _check_content(content) -> None:
    """Check content.json's shape and every value's type, converting dates in place."""
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise TransferError("The archive is not an export of this blog.")
    if content.get("version") != VERSION:
        raise TransferError(
            f"The archive has format version {content.get('version')}; "
            f"this version of the blog reads version {VERSION}."
        )
    settings = content.get("settings")
    if not isinstance(settings, dict) or not all(isinstance(v, str) for v in settings.values()):
        raise TransferError("The archive's settings are damaged.")
    counts = content.get("counts")
    for table in LATER_TABLES:
        if isinstance(counts, dict) and table not in content and table not in counts:
            # Archives made before the table existed: they have none of its rows.
            content[table], counts[table] = [], 0
    for table, (model, columns) in TABLES.items():
        rows = content.get(table)
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise TransferError(f"The archive's {table} are missing or damaged.")
        for row in rows:
            for name, blank in LATER_COLUMNS.get(table, {}).items():
                row.setdefault(name, blank)
        if not isinstance(counts, dict) or counts.get(table) != len(rows):
            raise TransferError(f"The archive's {table} do not match its counts: incomplete.")
        for index, row in enumerate(rows):
            for name in columns:
                row[name] = _checked(model.__table__.c[name], row.get(name), f"{table}[{index}]")
    for index, post in enumerate(content["posts"]):
        where = f"posts[{index}] ({post['slug']})"
        tags = post.get("tags")
        if not isinstance(tags, list) or not all(type(t) is int for t in tags):
            raise TransferError(f"{where}: its tags are damaged.")
        if post["status"] not in STATUSES or post["body_format"] not in BODY_FORMATS:
            raise TransferError(f"{where}: unknown status or body format.")
    for index, row in enumerate(content["old_slugs"]):
        if row["kind"] not in OLD_SLUG_KINDS or row[f"{row['kind']}_id"] is None:
            raise TransferError(f"old_slugs[{index}] ({row['slug']}) is damaged.")
    for index, page in enumerate(content["pages"]):
        if page["status"] not in STATUSES or page["body_format"] not in BODY_FORMATS:
            raise TransferError(f"pages[{index}] ({page['slug']}): unknown status or body format.")
    for index, row in enumerate(content["menu_items"]):
        if row["menu"] not in MENUS or row["kind"] not in MENU_KINDS:
            raise TransferError(f"menu_items[{index}]: unknown menu or kind.")
    for index, row in enumerate(content["wordpress_addresses"]):
        if row["kind"] not in WORDPRESS_KINDS or row[WORDPRESS_KINDS[row["kind"]]] is None:
            raise TransferError(f"wordpress_addresses[{index}] is damaged.")
    for index, row in enumerate(content["comments"]):
        if row["author_url"] != author_url(row["author_url"]):
            raise TransferError(f"comments[{index}]: its author's address is not http(s).")
    for index, row in enumerate(content["media"]):
        extension = row["filename"].rpartition(".")[2]
        expected = _file_names(row)
        files = row.get("files")
        if (
            not STORED_NAME.fullmatch(row["filename"])
            or CONTENT_TYPES.get(extension) != row["content_type"]
            or not isinstance(files, list)
            or [f.get("path") if isinstance(f, dict) else None for f in files]
            != [f"{MEDIA}/{name}" for name in expected]
            or not all(
                type(f.get("size")) is int and isinstance(f.get("sha256"), str) for f in files
            )
        ):
            raise TransferError(f"media[{index}] ({row['filename']}) is damaged.")


def _checked(column, value, where: str):
    """Return value as the column's type, or raise TransferError saying what is wrong."""
    if value is None:
        if column.nullable:
            return None
        raise TransferError(f"{where}: {column.name} is missing.")
    kind = column.type.python_type
    if kind is datetime and isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise TransferError(f"{where}: {column.name} is not a date ({value!r}).") from None
        try:
            if parsed.tzinfo is not None:
                parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:  # year 1 with an offset ahead of UTC
            parsed = datetime.min
        if not in_post_years(parsed):
            raise TransferError(
                f"{where}: {column.name} is {value!r}; this blog's dates run from "
                f"{EARLIEST_YEAR} to {latest_year()}."
            )
        return parsed
    if type(value) is not kind or kind is datetime:
        raise TransferError(f"{where}: {column.name} should be {kind.__name__}, not {value!r}.")
    return value
