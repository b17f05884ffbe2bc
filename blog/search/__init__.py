"""Search: the reader's query, the full-text index on SQLite and PostgreSQL, ranked results."""
