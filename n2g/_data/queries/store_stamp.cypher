// What the service's kept answers are made of, in one row, so that it can tell whether the
// store changed since it last looked (n2g/serve/store_watch.py hashes the row): every unit's
// graph hash (a reload that changes a graph changes it), how many similarity, group and
// FEEDS relations there are, each group's size, label and co-activation, and each model's
// recorded similarity run and co-activation check. One row; `graphs` is in no set order.
// Parameters: none.
MATCH (n:Neuron)
WITH count(n) AS neurons, collect(n.graph_hash) AS graphs
RETURN neurons, graphs,
  COUNT { MATCH ()-[:SIMILAR_TO]->() } AS similar,
  COUNT { MATCH ()-[:SUBSET_OF]->() } AS subsets,
  COUNT { MATCH ()-[:HAS_MEMBER]->() } AS memberships,
  COUNT { MATCH ()-[:FEEDS]->() } AS feeds,
  COLLECT { MATCH (g:Group)
            RETURN [g.key, g.size, g.label, g.coactivation] AS one } AS groups,
  COLLECT { MATCH (m:Model)
            RETURN [m.name, m.similarity_threshold, m.similarity_level, m.similarity_scope,
                    m.coactivation] AS one } AS models
