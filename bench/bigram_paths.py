"""What bigram paths cost: the build's rate with and without them, side by side.

    .venv/bin/python -m bench.bigram_paths --records n2g-run/records [--layers 1]
        [--neurons 128] [--repeats 3] [--json PATH]

Builds the same neurons of the main job's records in one run with bigram paths (a
(previous token, firing token) path wherever the pair fires at half its training positions
or more: `bigram_paths=0.5`, the default, n2g.builder.bigram_paths) and without them
(`bigram_paths=0`, the pruned paths alone: the plain approach), and reports the build rate
of each (the median of `--repeats`), the F1 each reaches and the mean nodes a graph. The
pairs are counted over the recorded activations: no model pass.
"""

from __future__ import annotations

from bench._setting_cost import compare_setting

if __name__ == "__main__":
    compare_setting(
        "bigram_paths", "bigram_paths", 0.5, 0.0, "build rate with and without bigram paths"
    )
