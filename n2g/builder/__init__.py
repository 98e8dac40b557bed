"""The N2G builder (paper section 3.2), one module a step, in pipeline order:

examples (batched pivot activations) -> prune -> saliency -> substitutes + augment -> trie
-> evaluate; `batch` runs one batch of neurons through all of them, `stage` is `n2g build`
(records folder -> graph file, sharded, resumable), `writer` appends graph-file lines.
This package needs torch; the read side (n2g.graph, n2g.db, n2g.search) never imports it.
"""
