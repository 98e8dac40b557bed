"""Database access: configuration, connection, local server, ingest."""
