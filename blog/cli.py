"""Terminal commands: setup | demo | set-password | rerender | backup | restore | export ..."""

import sys
from pathlib import Path

import click
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select

from blog import accounts, backup, editing, hosts, restore, throttle, transfer, transfer_import
from blog.demo import create_demo_posts
from blog.extensions import db
from blog.firstrun import ensure_welcome_content
from blog.media import readable_size
from blog.models import Post
from blog.render import BodyTooComplex
from blog.search_index import rebuild_search_index
from blog.settings import load_settings
from blog.wxr import WxrError, read_wxr
from blog.wxr_export import export_wxr
from blog.wxr_import import import_wxr


def prepare_database() -> None:
    """Bring the database to the current schema (Alembic owns it from the first release)."""
    upgrade()


def register(app: Flask) -> None:
    @app.cli.command("setup")
    @click.option(
        "--url",
        default="http://127.0.0.1:5000",
        show_default=True,
        help="Where the site will be served, for the one-time link.",
    )
    def setup_command(url: str) -> None:
        """Prepare instance/: schema, a welcome post, and a way in for a new editor."""
        prepare_database()
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
            # A restore killed mid-way is finished or undone before the site serves again.
            try:
                for note in restore.recover(*site_files()):
                    click.echo(note)
            except backup.BackupError as error:
                click.echo(str(error))
        if ensure_welcome_content():
            click.echo("Created a welcome post and a first category.")
        editor = accounts.ensure_editor_account()
        link = None
        if editor.password_hash is None:
            # Under make serve a BASE_URL is the one address that answers: the link is there.
            url = hosts.link_root(app.config) or url
            link = f"{url.rstrip('/')}/auth/welcome/{accounts.issue_sign_in_token(editor)}"
        db.session.commit()
        if trust := hosts.describe(app.config):
            click.echo(trust)
        if link:
            click.secho(
                "\nThis site has no editor password yet. Open this one-time link", bold=True
            )
            click.secho("(valid for an hour) to choose it:\n", bold=True)
            click.secho(f"    {link}\n", fg="green", bold=True)

    @app.cli.command("set-password")
    @click.argument("username")
    def set_password_command(username: str) -> None:
        """Create the editor's account, or reset its password.

        In a terminal it asks twice; otherwise it reads one line from standard input, so that
        `echo "$PW" | flask --app app set-password editor` works in scripts.
        """
        prepare_database()
        try:
            user = accounts.account_for_password(username)
        except accounts.AccountError as error:
            raise click.ClickException(str(error)) from None
        if sys.stdin.isatty():
            password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
        else:
            password = sys.stdin.readline().rstrip("\r\n")
        try:
            accounts.set_password(user, password)
        except accounts.PasswordError as error:
            raise click.ClickException(str(error)) from None
        throttle.forget_failures(user.username)
        db.session.commit()
        click.echo(f"Password set for {user.username}. Sign in at /auth/sign-in.")

    @app.cli.command("demo")
    @click.option(
        "--posts",
        "count",
        default=200,
        show_default=True,
        type=click.IntRange(1),
        help="How many published posts (one draft in fifty comes on top).",
    )
    @click.option("--seed", default=1, show_default=True, help="Same seed, same content.")
    def demo_command(count: int, seed: int) -> None:
        """Fill the site with realistic demo posts, categories, tags and authors."""
        prepare_database()
        with click.progressbar(length=count, label="Writing demo posts") as bar:
            create_demo_posts(count, seed=seed, progress=bar.update)
        db.session.commit()
        click.echo(f"Added {count} published demo posts, and {count // 50} drafts.")

    @app.cli.command("search-rebuild")
    def search_rebuild_command() -> None:
        """Rebuild the search index from the posts (after anything that bypassed it)."""
        prepare_database()
        count = rebuild_search_index()
        db.session.commit()
        click.echo(f"Search index rebuilt: {count} published posts.")

    @app.cli.command("rerender")
    def rerender_command() -> None:
        """Render every post's body again by today's rules (after an upgrade changed them)."""
        prepare_database()
        try:
            count = editing.rerender_posts()
        except BodyTooComplex as error:
            raise click.ClickException(f"{error}. Nothing was changed.") from None
        db.session.commit()
        click.echo(f"Rendered every post again: {count} changed.")

    def site_files() -> tuple[Path, Path, Path]:
        """Return the site's SQLite file, media folder and page cache stamp."""
        database = backup.sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"], app.instance_path)
        return database, Path(app.config["MEDIA_FOLDER"]), Path(app.config["PAGE_CACHE_STAMP"])

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    def backup_command(path: Path) -> None:
        """Write the database and every upload to PATH (a .tar.gz), safely while the site runs."""
        try:
            database, media, stamp = site_files()
            # A killed restore is finished or undone first; a killed backup's copy removed.
            for note in restore.recover(database, media, stamp) + backup.remove_leftovers(
                path.parent
            ):
                click.echo(note)
            manifest = backup.create_backup(path, database, media)
        except backup.BackupError as error:
            raise click.ClickException(str(error)) from None
        click.echo(
            f"Backed up {backup.summary(manifest)} to {path} "
            f"({readable_size(path.stat().st_size)}, schema {manifest['schema_revision']})."
        )

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--force", is_flag=True, help="Replace a site that already has content.")
    def restore_command(path: Path, force: bool) -> None:
        """Replace the database and uploads with the backup at PATH, checked whole first.

        All or nothing, even if the command is killed: the next restore or backup finishes or
        undoes a run that was stopped. Every body is rendered again from its source.
        """
        click.echo(f"Checking {path} ...")
        try:
            database, media, stamp = site_files()
            for note in restore.recover(database, media, stamp):
                click.echo(note)
            manifest = restore.restore_backup(
                path,
                database,
                media,
                stamp,
                migrations=app.extensions["migrate"].directory,
                force=force,
            )
        except backup.SiteHasContent as error:
            raise click.ClickException(f"{error} Run again with --force to do so.") from None
        except backup.BackupError as error:
            raise click.ClickException(f"{error} Nothing was changed.") from None
        click.echo(
            f"Restored {backup.summary(manifest)} from the backup made {manifest['created_at']}."
        )

    @app.cli.command("export")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    def export_command(path: Path) -> None:
        """Write every post, revision, category, tag, setting and image to PATH (a .zip)."""
        prepare_database()
        with click.progressbar(length=transfer.export_size(), label="Exporting") as bar:
            try:
                counts = transfer.export_site(path, app.config["MEDIA_FOLDER"], bar.update)
            except transfer.TransferError as error:
                raise click.ClickException(str(error)) from None
        click.echo(f"Exported {transfer.summary(counts)} to {path}.")

    @app.cli.command("import")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option(
        "--force", is_flag=True, help="Replace the site's posts, categories, tags and images."
    )
    def import_command(path: Path, force: bool) -> None:
        """Restore an export made with `export` into this (empty) site, all or nothing."""
        prepare_database()
        try:
            archive = transfer.read_archive(path)
            with click.progressbar(length=archive.size, label="Importing") as bar:
                counts = transfer_import.import_archive(
                    archive, app.config["MEDIA_FOLDER"], force=force, progress=bar.update
                )
            db.session.commit()
        except transfer.SiteHasContent as error:
            raise click.ClickException(
                f"{error} Run again with --force to replace its posts, categories, tags and "
                "images. Nothing was changed."
            ) from None
        except transfer.TransferError as error:
            db.session.rollback()
            raise click.ClickException(f"{error} Nothing was changed.") from None
        click.echo(f"Imported {transfer.summary(counts)} from {path}.")

    @app.cli.command("import-wxr")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option(
        "--pages",
        type=click.Choice(["skip", "import"]),
        default="skip",
        show_default=True,
        help="What to do with WordPress pages: leave them out, or import them as posts.",
    )
    @click.option(
        "--media-dir",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        help="WordPress's wp-content/uploads folder, for the attachments and featured images.",
    )
    def import_wxr_command(path: Path, pages: str, media_dir: Path | None) -> None:
        """Import a WordPress export (WXR): posts, categories, tags, images, all or nothing."""
        prepare_database()
        try:
            wxr = read_wxr(path)
            steps = wxr.steps(pages, with_media=media_dir is not None)
            with click.progressbar(length=steps, label="Importing") as bar:
                report = import_wxr(
                    wxr,
                    zone=load_settings().zone,
                    pages=pages,
                    media_dir=media_dir,
                    progress=bar.update,
                )
            db.session.commit()
        except WxrError as error:
            db.session.rollback()
            raise click.ClickException(f"{error} Nothing was changed.") from None
        for line in report.lines():
            click.echo(line)

    @app.cli.command("export-wxr")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    @click.option(
        "--base-url",
        help="The site's public address (BASE_URL by default): WordPress fetches images there.",
    )
    def export_wxr_command(path: Path, base_url: str | None) -> None:
        """Write every post and image to PATH as a WordPress export (WXR 1.2)."""
        prepare_database()
        base_url = base_url or app.config["BASE_URL"]
        if not base_url.startswith(("http://", "https://")):
            raise click.ClickException(
                "Give the site's public address: --base-url https://news.example "
                "(or set BASE_URL), so that links and images in the file lead back to it."
            )
        settings = load_settings()
        total = db.session.scalar(select(func.count()).select_from(Post))
        with click.progressbar(length=total, label="Exporting") as bar:
            counts = export_wxr(
                path,
                base_url=base_url,
                title=settings.title,
                tagline=settings.tagline,
                zone=settings.zone,
                progress=bar.update,
            )
        click.echo(
            f"Exported {counts['posts']} posts, {counts['images']} images, "
            f"{counts['categories']} categories and {counts['tags']} tags to {path}."
        )
