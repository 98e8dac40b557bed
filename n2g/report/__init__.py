"""Reports on graph files: the quality tables and plot, similar units and groups, and
neurons against SAE and transcoder latents.

Apart from the pipeline (n2g.run) on purpose: `n2g report` and the run's report stage read
graph files and token sets only, so this package never imports torch or the builder
(tests/test_layout.py checks it), and reporting on a graph file takes no model.
"""
