// What the service's kept answers are made of, in one row, so that it can tell whether the
// store changed since it last looked (n2g/serve/store_watch.py hashes the row): every unit's
// graph hash (a reload that changes a graph changes it), how many FEEDS edges link units,
// each group's key, size, label, co-activation and ablation (`n2g ablate --group`), and
// each model's properties (the recorded similarity run, whose edges follow from it and the
// graphs, the co-activation check, and `feeds_changed`, a fresh token set whenever the
// model's FEEDS edges or their measured effects are written: feeds_mark_changed.cypher;
// reading every edge's weight and effects here instead took 25 times as long).
// Patterns name their labels: an unlabelled one scans every node (43 s on 46,080 units).
// One row; `graphs`, `groups` and `models` come in no set order.
// Parameters: none.
MATCH (n:Neuron)
WITH count(n) AS neurons, collect(n.graph_hash) AS graphs
RETURN neurons, graphs,
  COUNT { MATCH (:Neuron)-[:FEEDS]->(:Neuron) } AS feeds,
  COLLECT { MATCH (g:Group)
            RETURN [g.key, g.size, g.label, g.coactivation, g.ablation, g.ablation_firing,
                    g.ablation_control, g.ablation_above_random] AS one } AS groups,
  COLLECT { MATCH (m:Model) RETURN properties(m) AS one } AS models
