"""Terminal commands that move a site whole: backup | restore | export | import."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from blog.extensions import db, prepare_database
from blog.media import readable_size
from blog.storage import S3Bucket, StorageError, media_storage
from blog.transfer import archive, backup, importing, restore


def site_files() -> tuple[backup.Site, Path, Path, S3Bucket | None]:
    """Return the site's database, media folder, cache stamp, and bucket (None: the folder)."""
    database = backup.site_database(
        current_app.config["SQLALCHEMY_DATABASE_URI"],
        current_app.instance_path,
        current_app.config.get("PG_BIN"),
    )
    return (
        database,
        Path(current_app.config["MEDIA_FOLDER"]),
        Path(current_app.config["PAGE_CACHE_STAMP"]),
        store if isinstance(store := media_storage(), S3Bucket) else None,
    )


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Write the database and every upload to PATH (a .tar.gz), safely while the site runs."""
    try:
        database, media, stamp, bucket = site_files()
        # A killed restore is finished or undone first; a killed backup's copy removed.
        notes = restore.recover(database, media, stamp, bucket)
        for note in notes + backup.remove_leftovers(path.parent):
            click.echo(note)
        manifest = backup.create_backup(path, database, media, bucket)
    except (backup.BackupError, StorageError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Backed up {backup.summary(manifest)} to {path} "
        f"({readable_size(path.stat().st_size)}, schema {manifest['schema_revision']})."
    )


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a site that already has content.")
def restore_command(path: Path, force: bool) -> None:
    """Replace the database and uploads with the backup at PATH, checked whole first.

    All or nothing, even if the command is killed: the next restore or backup finishes or
    undoes a run that was stopped. Every body is rendered again from its source.
    """
    click.echo(f"Checking {path} ...")
    try:
        database, media, stamp, bucket = site_files()
        for note in restore.recover(database, media, stamp, bucket):
            click.echo(note)
        manifest = restore.restore_backup(
            path,
            database,
            media,
            stamp,
            migrations=current_app.extensions["migrate"].directory,
            force=force,
            bucket=bucket,
        )
    except backup.SiteHasContent as error:
        raise click.ClickException(f"{error} Run again with --force to do so.") from None
    except backup.BackupError as error:
        raise click.ClickException(f"{error} Nothing was changed.") from None
    except StorageError as error:
        raise click.ClickException(
            f"{error} The site is whole, the old one or the restored one; the next restore, "
            "backup or setup ends what this one left."
        ) from None
    click.echo(
        f"Restored {backup.summary(manifest)} from the backup made {manifest['created_at']}."
    )


@click.command("export")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def export_command(path: Path) -> None:
    """Write every post, revision, category, tag, setting and image to PATH (a .zip)."""
    prepare_database()
    with click.progressbar(length=archive.export_size(), label="Exporting") as bar:
        try:
            counts = archive.export_site(path, bar.update)
        except archive.TransferError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"Exported {archive.summary(counts)} to {path}.")


@click.command("import")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--force", is_flag=True, help="Replace the site's posts, categories, tags and images."
)
def import_command(path: Path, force: bool) -> None:
    """Restore an export made with `export` into this (empty) site, all or nothing."""
    prepare_database()
    try:
        checked = archive.read_archive(path)
        with click.progressbar(length=checked.size, label="Importing") as bar:
            counts = importing.import_archive(checked, force=force, progress=bar.update)
        db.session.commit()
    except archive.SiteHasContent as error:
        raise click.ClickException(
            f"{error} Run again with --force to replace its posts, categories, tags and "
            "images. Nothing was changed."
        ) from None
    except archive.TransferError as error:
        db.session.rollback()
        raise click.ClickException(f"{error} Nothing was changed.") from None
    click.echo(f"Imported {archive.summary(counts)} from {path}.")


COMMANDS = (backup_command, restore_command, export_command, import_command)
