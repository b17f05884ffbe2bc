"""Export and import: the site's content as a documented, versioned JSON-plus-files archive.

Archive layout (a zip file; format "blog-export", version 1; README "Moving content in and out")::

    content.json   format, version, exported_at, counts, settings, and the rows of users,
                   categories, tags, media, posts (each with its tag ids) and revisions
    media/NAME     every stored image file, originals and resized copies; each media row lists
                   its files with their size and SHA-256

Rows keep their ids, so that an import into an empty site gives back the same rows. What an
export leaves out: the accounts' password hashes and session tokens (an export is for moving
content; the backup is for credentials), sign-in bookkeeping, and the search index (derived).

An import reads and checks the whole archive first, then writes everything in the caller's
transaction: a post's body_html is rendered again from its body_source through the sanitizer,
never taken from the file, and media files follow the transaction (blog.media).
"""

import hashlib
import json
import os
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from PIL import Image
from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.exc import IntegrityError

from blog.extensions import db
from blog.media import _DOOMED, _WRITTEN, CONTENT_TYPES, FORMATS, STORED_NAME, variant_files
from blog.models import Category, Media, Post, Revision, Setting, Tag, User, post_tags
from blog.render import FORMATS as BODY_FORMATS
from blog.render import render_body, search_text, word_count

FORMAT = "blog-export"
VERSION = 1
CONTENT = "content.json"
MEDIA = "media"
CHUNK = 1024 * 1024
STATUSES = ("draft", "published", "trash")
KINDS = {extension: kind for kind, (extension, _) in FORMATS.items()}

# The columns an archive holds, per table, in the order they are written and restored.
TABLES = {
    "users": (User, ("id", "username", "display_name", "bio", "created_at")),
    "categories": (Category, ("id", "name", "slug", "description")),
    "tags": (Tag, ("id", "name", "slug")),
    "media": (
        Media,
        ("id", "filename", "original_name", "content_type", "width", "height", "variants")
        + ("created_at",),
    ),
    "posts": (
        Post,
        ("id", "title", "slug", "body_format", "body_source", "body_html", "excerpt")
        + ("custom_excerpt", "word_count", "status", "version", "published_at", "created_at")
        + ("updated_at", "author_id", "category_id", "image_id", "image_alt", "seo_title")
        + ("seo_description", "wp_id"),
    ),
    "revisions": (
        Revision,
        ("id", "post_id", "version", "title", "body_format", "body_source", "excerpt")
        + ("saved_at", "created_at"),
    ),
}
Progress = Callable[[int], object]


class TransferError(Exception):
    """An export or import that cannot go ahead; the message says why."""


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


def _sha256(stream) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def export_site(target: Path, media_folder: Path, progress: Progress | None = None) -> dict:
    """Write the site's content to the zip archive target; return how many rows of each kind.

    The archive appears whole or not at all (written beside target, then renamed).
    """
    target, media_folder = Path(target), Path(media_folder)
    if target.is_dir():
        raise TransferError(f"{target} is a folder; name the archive: {target / 'blog.zip'}")
    content: dict = {"format": FORMAT, "version": VERSION}
    content["exported_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    content["settings"] = dict(db.session.execute(select(Setting.key, Setting.value)).all())
    for table, (model, columns) in TABLES.items():
        rows = db.session.scalars(select(model).order_by(model.id))
        content[table] = [{c: _json_value(getattr(row, c)) for c in columns} for row in rows]
    tagged: dict[int, list[int]] = {}
    for post_id, tag_id in db.session.execute(
        select(post_tags.c.post_id, post_tags.c.tag_id).order_by(post_tags.c.tag_id)
    ):
        tagged.setdefault(post_id, []).append(tag_id)
    for post in content["posts"]:
        post["tags"] = tagged.get(post["id"], [])
    content["counts"] = {table: len(content[table]) for table in TABLES}
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for row in content["media"]:
                row["files"] = []
                for name in [row["filename"], *variant_files(Media(**_media_fields(row)))]:
                    row["files"].append(_add_file(archive, media_folder / name, name))
                    if progress:
                        progress(1)
            if progress:
                progress(len(content["posts"]))
            text_ = json.dumps(content, indent=1, ensure_ascii=False)
            archive.writestr(CONTENT, text_ + "\n")
        os.chmod(partial, 0o600)  # drafts are private
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return content["counts"]


def _media_fields(row: dict) -> dict:
    return {"filename": row["filename"], "variants": row["variants"]}


def _add_file(archive: zipfile.ZipFile, path: Path, name: str) -> dict:
    try:
        with open(path, "rb") as file:
            size, sha256 = _sha256(file)
    except FileNotFoundError:
        raise TransferError(
            f"The media file {name} is missing from {path.parent}: restore it from a backup "
            "first, or delete that image in the editor."
        ) from None
    # Images are compressed already: stored, not deflated again.
    archive.write(path, f"{MEDIA}/{name}", compress_type=zipfile.ZIP_STORED)
    return {"path": f"{MEDIA}/{name}", "size": size, "sha256": sha256}


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
                    if _sha256(stream) != (entry["size"], entry["sha256"]):
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
    for table, (model, columns) in TABLES.items():
        rows = content.get(table)
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise TransferError(f"The archive's {table} are missing or damaged.")
        if content.get("counts", {}).get(table) != len(rows):
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
    for index, row in enumerate(content["media"]):
        extension = row["filename"].rpartition(".")[2]
        expected = [row["filename"], *variant_files(Media(**_media_fields(row)))]
        files = row.get("files")
        if (
            not STORED_NAME.fullmatch(row["filename"])
            or CONTENT_TYPES.get(extension) != row["content_type"]
            or not isinstance(files, list)
            or [f.get("path") if isinstance(f, dict) else None for f in files]
            != [f"{MEDIA}/{name}" for name in expected]
            or not all(type(f.get("size")) is int and isinstance(f.get("sha256"), str) for f in files)
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
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        return parsed
    if type(value) is not kind or kind is datetime:
        raise TransferError(f"{where}: {column.name} should be {kind.__name__}, not {value!r}.")
    return value


def content_counts() -> dict[str, int]:
    """Return how many posts, categories, tags and images the site has."""
    models = {"posts": Post, "categories": Category, "tags": Tag, "media": Media}
    return {
        name: db.session.scalar(select(func.count()).select_from(model))
        for name, model in models.items()
    }


def import_archive(
    archive: Archive,
    media_folder: Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Write a checked archive's content into the site, in the caller's transaction.

    Refuses a site that has posts, categories, tags or images unless force is set, which
    replaces them (accounts stay; the archive's settings overwrite the site's). Authors are
    matched to existing accounts by username. Return how many rows of each kind were written.
    """
    content, media_folder = archive.content, Path(media_folder)
    existing = {name: n for name, n in content_counts().items() if n}
    if existing and not force:
        found = ", ".join(f"{n} {name}" for name, n in existing.items())
        raise TransferError(f"This site already has content ({found}); an import needs an empty site.")
    replaced = _clear_content() if existing else set()
    users = _user_ids(content["users"])
    for table in ("categories", "tags", "media"):
        if content[table]:
            db.session.execute(insert(TABLES[table][0]), content[table])
    _write_media(archive, media_folder, replaced, progress)
    for post in content["posts"]:
        post.update(
            author_id=users.get(post["author_id"], post["author_id"]),
            body_html=render_body(post["body_source"], post["body_format"]),
        )
        post["search_text"] = search_text(post["body_html"])
        post["word_count"] = word_count(post["body_html"])
        if progress:
            progress(1)
    columns = (*TABLES["posts"][1], "search_text")
    try:
        if content["posts"]:
            rows = [{c: post[c] for c in columns} for post in content["posts"]]
            db.session.execute(insert(Post), rows)
        links = [{"post_id": p["id"], "tag_id": t} for p in content["posts"] for t in p["tags"]]
        if links:
            db.session.execute(insert(post_tags), links)
        if content["revisions"]:
            db.session.execute(insert(Revision), content["revisions"])
        for key, value in content["settings"].items():
            db.session.merge(Setting(key=key, value=value))
        db.session.flush()
    except IntegrityError as error:
        raise TransferError(f"The archive's rows contradict each other ({error.orig}).") from None
    _restart_id_sequences()
    return {table: len(content[table]) for table in TABLES}


def _clear_content() -> set[Path]:
    """Delete the site's posts, revisions, categories, tags and images; return their files."""
    files = set()
    for media in db.session.scalars(select(Media)):
        files.update(Path(name) for name in [media.filename, *variant_files(media)])
    for model in (post_tags, Revision, Post, Tag, Category, Media):
        db.session.execute(delete(model))
    return files


def _user_ids(users: list[dict]) -> dict[int, int]:
    """Add the archive's authors the site lacks; return archive id -> site id where they differ."""
    site = {user.username: user for user in db.session.scalars(select(User))}
    taken = {user.id for user in site.values()}
    mapping = {}
    for row in users:
        if row["username"] in site:
            mapping[row["id"]] = site[row["username"]].id
            continue
        user = User(**row) if row["id"] not in taken else User(**{**row, "id": None})
        db.session.add(user)
        db.session.flush()
        taken.add(user.id)
        mapping[row["id"]] = user.id
    return {old: new for old, new in mapping.items() if old != new}


def _write_media(archive: Archive, folder: Path, replaced: set[Path], progress) -> None:
    """Write the archive's image files into folder; they stay only if the transaction commits."""
    folder.mkdir(parents=True, exist_ok=True)
    written, kept = db.session.info.setdefault(_WRITTEN, []), set()
    with zipfile.ZipFile(archive.path) as zipped:
        for row in archive.content["media"]:
            for entry in row["files"]:
                name = entry["path"].removeprefix(f"{MEDIA}/")
                data = zipped.read(entry["path"])
                _check_image(data, name)
                path = folder / name
                if path.exists():
                    if path.read_bytes() != data:
                        raise TransferError(f"The media folder already has another {name}.")
                    kept.add(Path(name))
                else:
                    written.append(path)
                    path.write_bytes(data)
                if progress:
                    progress(1)
    # The replaced images' files go once the import commits, except those it brought back.
    doomed = db.session.info.setdefault(_DOOMED, [])
    doomed.extend(folder / name for name in replaced - kept)


def _check_image(data: bytes, name: str) -> None:
    """Refuse a file that is not an image of the kind its name says (the upload's promise)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.open(BytesIO(data), formats=[KINDS[name.rpartition(".")[2]]]).verify()
    except Exception:
        raise TransferError(f"{MEDIA}/{name} in the archive is not a valid image.") from None


def _restart_id_sequences() -> None:
    """PostgreSQL: continue every id sequence past the ids the import wrote."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("users", "categories", "tags", "media", "posts", "revisions"):
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"coalesce(max(id), 0) + 1, false) FROM {table}"
            )
        )
