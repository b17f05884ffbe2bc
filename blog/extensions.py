"""Flask extension singletons, bound to the app in the factory."""

from flask_login import LoginManager
from flask_migrate import Migrate, upgrade
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()


def prepare_database() -> None:
    """Bring the database to the current schema (Alembic owns it from the first release)."""
    upgrade()


def treat_as_anonymous() -> None:
    """Make this request's current_user the anonymous user, without reading the database.

    Flask-Login has no public call for this (it loads the account on first use of
    current_user); its private one is called here, and only here, so that an upgrade that
    renames it breaks one line.
    """
    login_manager._update_request_context_with_user()
