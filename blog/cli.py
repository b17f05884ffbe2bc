"""Terminal commands: flask --app app setup | demo."""

import click
from flask import Flask
from flask_migrate import upgrade

from blog.demo import create_demo_posts
from blog.extensions import db
from blog.firstrun import ensure_welcome_content


def prepare_database() -> None:
    """Bring the database to the current schema (Alembic owns it from the first release)."""
    upgrade()


def register(app: Flask) -> None:
    @app.cli.command("setup")
    def setup_command() -> None:
        """Prepare instance/: schema, and a welcome post on a brand-new site."""
        prepare_database()
        if ensure_welcome_content():
            click.echo("Created a welcome post and a first category.")
        db.session.commit()

    @app.cli.command("demo")
    @click.option("--posts", "count", default=200, show_default=True, type=click.IntRange(1))
    @click.option("--seed", default=1, show_default=True, help="Same seed, same content.")
    def demo_command(count: int, seed: int) -> None:
        """Fill the site with realistic demo posts, categories, tags and authors."""
        prepare_database()
        with click.progressbar(length=count, label="Writing demo posts") as bar:
            create_demo_posts(count, seed=seed, progress=bar.update)
        db.session.commit()
        click.echo(f"Added {count} demo posts.")
