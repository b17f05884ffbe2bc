"""Moving a site whole: the JSON export archive and its import, backups and restore."""
