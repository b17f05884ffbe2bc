"""What a backup or restore raises when it cannot go ahead, on either database."""

# Tables whose rows are bookkeeping, not content: a site with only these is empty.
BOOKKEEPING_TABLES = ("alembic_version", "content_version")


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why."""


class SiteHasContent(BackupError):
    """A restore would replace content the site already has."""
