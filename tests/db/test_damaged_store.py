"""A damaged store's error names its repair, one line; other errors keep their words."""

from __future__ import annotations

from neo4j import exceptions as neo4j_errors

from n2g.db.connection import DatabaseConfig, _explain


def _server_error(message: str) -> neo4j_errors.Neo4jError:
    # The error as the driver hands it over from a server's FAILURE message.
    return neo4j_errors.DatabaseError._hydrate_neo4j(
        code="Neo.DatabaseError.General.UnknownError", message=message
    )


CONFIG = DatabaseConfig(uri="bolt://127.0.0.1:7688", user="root", password="pw")


def test_a_missing_record_points_to_clear():
    error = _explain(_server_error("Record #5:2232327 not found"), CONFIG)
    text = str(error)
    assert "Record #5:2232327 not found" in text and "n2g db clear --yes" in text
    assert "\n" not in text


def test_other_errors_are_not_called_damage():
    text = str(_explain(_server_error("Invalid input 'MATC'"), CONFIG))
    assert text == "database error: Invalid input 'MATC'"
