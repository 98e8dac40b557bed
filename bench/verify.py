"""What verified paths cost: the build's rate with and without them, side by side.

    .venv/bin/python -m bench.verify --records n2g-run/records [--layers 1] [--neurons 128]
        [--repeats 3] [--json PATH]

Builds the same neurons of the main job's records in one run with paths verified against
the training windows (`path_precision=0.2`, the default, n2g.builder.verify) and without
(`path_precision=0`, every path keeps its claim: the plain approach), and reports the
build rate of each (the median of `--repeats`) and the F1 each reaches, whose gain is what
the cost buys. Verification matches the trie over the training windows: no model pass.
"""

from __future__ import annotations

from bench._setting_cost import compare_setting

if __name__ == "__main__":
    compare_setting(
        "verify", "path_precision", 0.2, 0.0, "build rate with and without verified paths"
    )
