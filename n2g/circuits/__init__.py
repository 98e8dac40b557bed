"""Circuits between units: which earlier units feed each unit (virtual weights on the
direct path, n2g.models.virtual_weights), checked by ablation (n2g.models.ablation), and
stored as FEEDS edges of the graph (n2g.search.circuits reads them back)."""
