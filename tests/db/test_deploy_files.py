"""docker-compose.yml, .env.example, the Browser style and the Cypher files fit the schema."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from n2g.resources import resource_dir

ROOT = Path(__file__).resolve().parents[2]
LABELS = ("Model", "Neuron", "Activating", "Context", "Ignore", "End", "Token", "Group")


def test_compose_runs_neo4j_lts_with_volume_healthcheck_and_env_credentials():
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    neo4j = compose["services"]["neo4j"]
    assert neo4j["image"].startswith("neo4j:5.26") and "community" in neo4j["image"]
    ports = " ".join(neo4j["ports"])
    assert ":7474" in ports and ":7687" in ports
    assert "${NEO4J_PASSWORD" in neo4j["environment"]["NEO4J_AUTH"]
    volume = neo4j["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]
    assert "RETURN 1" in " ".join(neo4j["healthcheck"]["test"])
    example = (ROOT / ".env.example").read_text()
    for name in ("NEO4J_PASSWORD", "N2G_URI", "N2G_USER", "N2G_PASSWORD"):
        assert re.search(rf"^#? ?{name}=", example, re.MULTILINE), name


def test_browser_style_colours_every_label():
    grass = (resource_dir("schema") / "n2g.grass").read_text()
    for label in LABELS:
        assert f"node.{label} {{" in grass, label
    assert re.search(r"node\.Activating \{[^}]*color: #D6", grass)  # red, as in the paper
    assert re.search(r"node\.Context \{[^}]*color: #1F", grass)  # blue


def test_constraints_give_every_label_a_unique_key():
    text = (resource_dir("schema") / "constraints.cypher").read_text()
    for label in LABELS:
        assert re.search(rf"FOR \(\w+:{label}\) REQUIRE \w+\.\w+ IS UNIQUE", text), label
    assert all("IF NOT EXISTS" in line for line in text.splitlines() if line.startswith("CREATE"))


def test_ingest_statements_take_data_only_as_parameters():
    for path in resource_dir("ingest").glob("*.cypher"):
        text = "\n".join(
            ln for ln in path.read_text().splitlines() if not ln.lstrip().startswith("//")
        )
        # No string literals: every value arrives as a $parameter.
        assert '"' not in text and "'" not in text, path.name
        # Lookups by data value use WHERE (see schema/README.md: ArcadeDB pattern-map bug).
        assert not re.search(r"MATCH \([^)]*\{", text), path.name
