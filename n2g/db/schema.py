"""The database schema: constraints and indexes from `schema/constraints.cypher`.

Every statement there is `IF NOT EXISTS`, so applying the schema is idempotent and cheap;
`n2g db init` applies it, and so does every ingest before it writes.
"""

from __future__ import annotations

from n2g.db.connection import Database
from n2g.resources import read_cypher


def schema_statements() -> list[str]:
    """The schema's Cypher statements, in file order (the file separates them with ';')."""
    text = read_cypher("schema", "constraints")
    return [part.strip() for part in text.split(";") if part.strip()]


def apply_schema(db: Database) -> int:
    """Create every missing constraint and index; return how many statements ran."""
    statements = schema_statements()
    for statement in statements:
        # One statement per transaction: Neo4j refuses schema and data changes mixed.
        db.execute(statement)
    return len(statements)
