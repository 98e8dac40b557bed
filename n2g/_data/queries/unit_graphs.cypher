// Units stored whole: each unit's graph file line (its trie, scores, settings and evidence
// in one property, `graph`), the fastest way to read whole graphs (`n2g show`, the
// service, `like --text`, `n2g export`), and its label. `graph` is null for units loaded
// by an older n2g-ingest: the readers then rebuild them from their nodes
// (neuron_graph.cypher, unit_examples.cypher).
// Parameters:
//   :param keys => ['smollm2-135m/3/286']
MATCH (n:Neuron)
WHERE n.key IN $keys
RETURN n.key AS key, n.graph AS graph, n.label AS label
