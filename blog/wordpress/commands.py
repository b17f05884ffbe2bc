"""Terminal commands for WordPress: import-wxr | export-wxr."""

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from blog.extensions import db, prepare_database
from blog.models import Post
from blog.settings import load_settings
from blog.wordpress.export import export_wxr
from blog.wordpress.importing import import_wxr, site_zone
from blog.wordpress.item_fields import counted
from blog.wordpress.wxr import WxrError, read_wxr


@click.command("import-wxr")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--pages",
    type=click.Choice(["import", "posts", "skip"]),
    default="import",
    show_default=True,
    help="What to do with WordPress pages: import them as pages, as posts, or leave them out.",
)
@click.option(
    "--media-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="WordPress's wp-content/uploads folder, for the attachments and featured images.",
)
def import_wxr_command(path: Path, pages: str, media_dir: Path | None) -> None:
    """Import a WordPress export (WXR): posts, pages, menus, terms, images, all or nothing."""
    prepare_database()
    try:
        wxr = read_wxr(path)
        steps = wxr.steps(pages, with_media=media_dir is not None)
        zone, taken = site_zone(wxr)
        # On stderr, so that the summary alone goes to stdout; click draws the bar on a
        # terminal and writes only its label elsewhere (a pipe, a log).
        with click.progressbar(length=steps, label="Importing", file=sys.stderr) as bar:
            report = import_wxr(
                wxr,
                zone=zone,
                pages=pages,
                media_dir=media_dir,
                progress=bar.update,
            )
        report.zone = taken or ""
        db.session.commit()
    except WxrError as error:
        db.session.rollback()
        raise click.ClickException(f"{error} Nothing was changed.") from None
    for line in report.lines():
        click.echo(line)


@click.command("export-wxr")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--base-url",
    help="The site's public address (BASE_URL by default): WordPress fetches images there.",
)
def export_wxr_command(path: Path, base_url: str | None) -> None:
    """Write every post and image to PATH as a WordPress export (WXR 1.2)."""
    prepare_database()
    base_url = base_url or current_app.config["BASE_URL"]
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
    words = [
        counted(counts[kind], noun, plural)
        for kind, noun, plural in (
            ("posts", "post", ""),
            ("pages", "page", ""),
            ("images", "image", ""),
            ("categories", "category", "categories"),
            ("tags", "tag", ""),
        )
    ]
    click.echo(
        f"Exported {', '.join(words)} and {counted(counts['menu items'], 'menu item')} to {path}."
    )


COMMANDS = (import_wxr_command, export_wxr_command)
