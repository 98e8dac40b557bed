"""The published JSON Schema of a graph-file line, generated from the pydantic models.

`schema/neuron_graph.schema.json` is what tools outside Python validate graph files with;
it is generated from n2g.graph.model (`python -m n2g.graph.schema` writes it), and a test
fails when the two drift.
"""

from __future__ import annotations

import json

from n2g.graph.model import NeuronGraph

SCHEMA_FILE = "neuron_graph.schema.json"


def json_schema() -> dict:
    """The JSON Schema of one graph-file line."""
    schema = NeuronGraph.model_json_schema()
    schema["$id"] = "https://neuron2graph/schema/neuron_graph.schema.json"
    schema["description"] = "One line of an N2G graph file (JSON Lines): one neuron graph."
    return schema


def render_json_schema() -> str:
    """The schema file's text."""
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":  # regenerate schema/neuron_graph.schema.json
    from n2g.files import write_text_atomic
    from n2g.resources import resource_dir

    write_text_atomic(resource_dir("schema") / SCHEMA_FILE, render_json_schema())
