"""Terminal commands for the whole site: setup | set-password | demo | search-rebuild | rerender
| media migrate.

The commands of a feature live with it (blog.transfer.commands: backup, restore, export,
import; blog.wordpress.commands: import-wxr, export-wxr); register() adds them all to the app.
"""

import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from blog import accounts, hosts, pages, storage, throttle
from blog.demo import create_demo_posts
from blog.extensions import db, prepare_database
from blog.firstrun import ensure_welcome_content
from blog.media import stored_files
from blog.posts import editing
from blog.render import BodyTooComplex
from blog.search.index import rebuild_search_index
from blog.settings import stored_typographic_quotes
from blog.transfer import backup, restore
from blog.transfer import commands as transfer_commands
from blog.transfer.commands import site_files
from blog.wordpress import commands as wordpress_commands


@click.command("setup")
@with_appcontext
@click.option(
    "--url",
    default="http://127.0.0.1:5000",
    show_default=True,
    help="Where the site will be served, for the one-time link.",
)
def setup_command(url: str) -> None:
    """Prepare instance/: schema, a welcome post, and a way in for a new editor."""
    prepare_database()
    # A restore killed mid-way is finished or undone before the site serves again.
    try:
        for note in restore.recover(*site_files()):
            click.echo(note)
    except (backup.BackupError, storage.StorageError) as error:
        click.echo(str(error))
    if ensure_welcome_content():
        click.echo("Created a welcome post and a first category.")
    editor = accounts.ensure_editor_account()
    link = None
    if editor.password_hash is None:
        # Under make serve a BASE_URL is the one address that answers: the link is there.
        url = hosts.link_root(current_app.config) or url
        link = f"{url.rstrip('/')}/auth/welcome/{accounts.issue_sign_in_token(editor)}"
    db.session.commit()
    if trust := hosts.describe(current_app.config):
        click.echo(trust)
    if link:
        click.secho("\nThis site has no editor password yet. Open this one-time link", bold=True)
        click.secho("(valid for an hour) to choose it:\n", bold=True)
        click.secho(f"    {link}\n", fg="green", bold=True)


@click.command("set-password")
@with_appcontext
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


@click.command("demo")
@with_appcontext
@click.option(
    "--posts",
    "count",
    default=200,
    show_default=True,
    type=click.IntRange(1),
    help="How many published posts (one draft in fifty comes on top).",
)
@click.option("--seed", default=1, show_default=True, help="Same seed, same content.")
@click.option(
    "--pictures",
    default=12,
    show_default=True,
    type=click.IntRange(0, 200),
    help="How many pictures to draw into Media; two posts in three get one (0: none).",
)
def demo_command(count: int, seed: int, pictures: int) -> None:
    """Fill the site with realistic demo posts, categories, tags, authors and pictures."""
    prepare_database()
    if pictures:
        click.echo(f"Drawing {pictures} pictures ...")
    with click.progressbar(length=count, label="Writing demo posts") as bar:
        create_demo_posts(count, seed=seed, progress=bar.update, pictures=pictures)
    db.session.commit()
    with_pictures = f", {pictures} pictures" if pictures else ""
    click.echo(f"Added {count} published demo posts, and {count // 50} drafts{with_pictures}.")


@click.command("search-rebuild")
@with_appcontext
def search_rebuild_command() -> None:
    """Rebuild the search index from the posts (after anything that bypassed it)."""
    prepare_database()
    count = rebuild_search_index()
    db.session.commit()
    click.echo(f"Search index rebuilt: {count} published posts.")


@click.command("rerender")
@with_appcontext
def rerender_command() -> None:
    """Render every post's and page's body again by today's rules (after an upgrade)."""
    prepare_database()
    typographic = stored_typographic_quotes()
    try:
        count = editing.rerender_posts(typographic=typographic)
        page_count = pages.rerender_pages(typographic=typographic)
    except BodyTooComplex as error:
        raise click.ClickException(f"{error}. Nothing was changed.") from None
    db.session.commit()
    click.echo(f"Rendered every post again: {count} changed.")
    click.echo(f"Rendered every page again: {page_count} changed.")


@click.group("media")
def media_group() -> None:
    """Uploaded images' files: where they are kept."""


@media_group.command("migrate")
@with_appcontext
@click.option("--to", "to", type=click.Choice(["s3", "local"]), required=True)
def migrate_media_command(to: str) -> None:
    """Move every image's files into the bucket (--to s3) or the media folder (--to local).

    One file at a time, each removed from where it was once the other side holds it: a move
    that was stopped loses nothing, and running it again finishes it.
    """
    config = current_app.config
    if not config["S3_BUCKET"]:
        raise click.ClickException(
            "Set BLOG_S3_BUCKET (and BLOG_S3_ENDPOINT_URL for a server other than AWS) "
            "to name the bucket: both directions need it."
        )
    prepare_database()
    folder = storage.LocalFolder(config["MEDIA_FOLDER"])
    bucket = storage.S3Bucket(config["S3_BUCKET"], config["S3_ENDPOINT_URL"])
    source, target = (folder, bucket) if to == "s3" else (bucket, folder)
    files = stored_files()
    try:
        with click.progressbar(length=len(files), label=f"Moving to {target}") as bar:
            moved, missing = storage.move_files(files, source, target, bar.update)
    except OSError as error:
        raise click.ClickException(f"{error}. Run the command again to go on.") from None
    click.echo(f"Moved {moved} of {len(files)} files from {source} to {target}.")
    if missing:
        raise click.ClickException(
            f"{len(missing)} files are in neither place: {', '.join(missing[:5])}"
            f"{' ...' if len(missing) > 5 else ''}"
        )


def register(app: Flask) -> None:
    """Add every terminal command to the app's `flask` command."""
    for command in (
        setup_command,
        set_password_command,
        demo_command,
        search_rebuild_command,
        rerender_command,
        media_group,
        *transfer_commands.COMMANDS,
        *wordpress_commands.COMMANDS,
    ):
        app.cli.add_command(command)
