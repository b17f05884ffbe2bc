"""Import: a checked export archive (blog.transfer.archive) written into an empty site, at once.

A post's body_html is rendered again from its body_source through the sanitizer, never taken
from the file; every image file is checked to be the image its name says; files follow the
transaction (blog.media), so that a failed import leaves neither rows nor files behind.
"""

import warnings
import zipfile
from io import BytesIO

from PIL import Image
from sqlalchemy import bindparam, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from blog.extensions import db

# The media module's lists of the files that follow the transaction (written, doomed).
from blog.media import FORMATS, doomed_in_transaction, variant_files, written_in_transaction
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
from blog.render import BodyTooComplex, body_fields
from blog.storage import media_storage
from blog.transfer.archive import MEDIA, TABLES, Archive, Progress, SiteHasContent, TransferError

KINDS = {extension: kind for kind, (extension, _) in FORMATS.items()}


def content_counts() -> dict[str, int]:
    """Return how many posts, categories, tags and images the site has."""
    models = {"posts": Post, "categories": Category, "tags": Tag, "images": Media, "pages": Page}
    return {
        name: db.session.scalar(select(func.count()).select_from(model))
        for name, model in models.items()
    }


def import_archive(
    archive: Archive,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Write a checked archive's content into the site, in the caller's transaction.

    Refuses a site that has posts, categories, tags or images unless force is set, which
    replaces them (accounts stay; the archive's settings overwrite the site's). Authors are
    matched to existing accounts by username. Return how many rows of each kind were written.
    """
    content = archive.content
    existing = {name: n for name, n in content_counts().items() if n}
    if existing and not force:
        found = ", ".join(f"{n} {name}" for name, n in existing.items())
        raise SiteHasContent(
            f"This site already has content ({found}); an import needs an empty site."
        )
    replaced = _clear_content() if existing else set()
    try:
        users = _user_ids(content["users"])
        _write_categories(content["categories"])
        for table in ("tags", "media"):
            if content[table]:
                db.session.execute(insert(TABLES[table][0]), content[table])
        _write_media(archive, replaced, progress)
        photos = [
            {**row, "user_id": users.get(row["user_id"], row["user_id"])}
            for row in content["author_photos"]
        ]
        if photos:
            db.session.execute(insert(AuthorPhoto), photos)
        for post in content["posts"]:
            post["author_id"] = users.get(post["author_id"], post["author_id"])
            # Never the archive's stored HTML or excerpt: both come from the source again.
            given = post["excerpt"] if post["custom_excerpt"] else ""
            try:
                fields = body_fields(post["body_source"], post["body_format"], given)
            except BodyTooComplex as error:
                raise TransferError(
                    f"Post {post['id']} ({post['title']!r}) is too complex to render ({error})."
                ) from None
            post.update(fields.as_dict())
            if progress:
                progress(1)
        columns = (*TABLES["posts"][1], "search_text")
        if content["posts"]:
            rows = [{c: post[c] for c in columns} for post in content["posts"]]
            db.session.execute(insert(Post), rows)
        links = [{"post_id": p["id"], "tag_id": t} for p in content["posts"] for t in p["tags"]]
        if links:
            db.session.execute(insert(post_tags), links)
        for table in ("revisions", "featured_posts", "wordpress_addresses"):
            if content[table]:
                db.session.execute(insert(TABLES[table][0]), content[table])
        _write_pages(content["pages"])
        for table in ("page_revisions", "menu_items", "old_slugs"):  # old_slugs name pages
            if content[table]:
                db.session.execute(insert(TABLES[table][0]), content[table])
        for key, value in content["settings"].items():
            db.session.merge(Setting(key=key, value=value))
        if content["comments"]:
            db.session.execute(insert(Comment), content["comments"])
        db.session.flush()
    except IntegrityError as error:
        raise TransferError(f"The archive's rows contradict each other ({error.orig}).") from None
    _restart_id_sequences()
    return {table: len(content[table]) for table in TABLES}


def _write_categories(categories: list[dict]) -> None:
    """Insert the archive's categories; parents once every category exists.

    An archive made before categories had parents has none (parent_id absent: None).
    """
    if not categories:
        return
    db.session.execute(insert(Category), [{**c, "parent_id": None} for c in categories])
    parents = [{"b_id": c["id"], "parent_id": c["parent_id"]} for c in categories if c["parent_id"]]
    if parents:
        table = Category.__table__
        db.session.execute(update(table).where(table.c.id == bindparam("b_id")), parents)


def _write_pages(pages: list[dict]) -> None:
    """Insert the archive's pages, bodies rendered again; parents once every page exists."""
    rows = []
    for page in pages:
        try:
            fields = body_fields(page["body_source"], page["body_format"])
        except BodyTooComplex as error:
            raise TransferError(
                f"Page {page['id']} ({page['title']!r}) is too complex to render ({error})."
            ) from None
        rows.append({**page, "body_html": fields.body_html, "parent_id": None})
    if rows:
        db.session.execute(insert(Page), rows)
    # updated_at as given: else its onupdate would stamp the time of the import.
    parents = [
        {"b_id": p["id"], "parent_id": p["parent_id"], "updated_at": p["updated_at"]}
        for p in pages
        if p["parent_id"]
    ]
    if parents:
        pages_table = Page.__table__
        db.session.execute(
            update(pages_table).where(pages_table.c.id == bindparam("b_id")), parents
        )


def _clear_content() -> set[str]:
    """Delete the site's content (accounts and settings aside); return the images' files."""
    files = set()
    for media in db.session.scalars(select(Media)):
        files.update([media.filename, *variant_files(media)])
    for model in (
        AuthorPhoto,
        WordPressAddress,
        Comment,
        MenuItem,
        PageRevision,
        Page,
        FeaturedPost,
        OldSlug,
        post_tags,
        Revision,
        Post,
        Tag,
        Category,
        Media,
    ):
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


def _write_media(archive: Archive, replaced: set[str], progress) -> None:
    """Store the archive's image files; they stay only if the transaction commits."""
    store, brought = media_storage(), set()
    with zipfile.ZipFile(archive.path) as zipped:
        for row in archive.content["media"]:
            for entry in row["files"]:
                name = entry["path"].removeprefix(f"{MEDIA}/")
                data = zipped.read(entry["path"])
                _check_image(data, name)
                try:
                    there = store.read(name)
                except FileNotFoundError:
                    written_in_transaction([name])
                    store.put(name, data, row["content_type"])
                else:
                    if there != data:
                        raise TransferError(f"The media storage already has another {name}.")
                brought.add(name)
                if progress:
                    progress(1)
    # The replaced images' files go once the import commits, except those it brought back.
    doomed_in_transaction(replaced - brought)


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
    for table in TABLES:
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"coalesce(max(id), 0) + 1, false) FROM {table}"
            )
        )
