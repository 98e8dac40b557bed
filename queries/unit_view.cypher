// Everything a unit's page shows, in one round trip: the (:Neuron) once, its trie (each
// node with its labels and its parent's id, as queries/neuron_graph.cypher returns them),
// its evidence (:Example nodes, by rank, as queries/unit_examples.cypher returns them), its
// stored similarity neighbours (SIMILAR_TO read undirected; SUBSET_OF with its direction:
// `outgoing` = the unit is the subset) and the groups it is a member of, each with its
// first members in key order. `n2g serve` rebuilds the graph from it with the same mapping
// as n2g.search.store.read_graphs (n2g.db.mapping.graphs_from_records); a test holds the
// two equal. No row when the unit is not stored.
// Parameters:
//   :param key => 'solu-6l-pile/1/2000'
//   :param max_members => 50
MATCH (n:Neuron)
WHERE n.key = $key
RETURN n AS neuron,
  COLLECT { MATCH (n)-[:TRIE_ROOT]->(:Activating)-[:NEXT*0..]->(node)
            OPTIONAL MATCH (parent)-[:NEXT]->(node)
            RETURN {node: node, labels: labels(node), parent: parent.id} } AS trie,
  COLLECT { MATCH (n)-[:HAS_EXAMPLE]->(e:Example)
            RETURN e ORDER BY e.rank } AS examples,
  COLLECT { MATCH (n)-[r:SIMILAR_TO|SUBSET_OF]->(m:Neuron)
            RETURN {key: m.key, relation: type(r), outgoing: true,
                    activating_overlap: r.activating_overlap,
                    context_overlap: r.context_overlap} }
  + COLLECT { MATCH (n)<-[r:SIMILAR_TO|SUBSET_OF]-(m:Neuron)
              RETURN {key: m.key, relation: type(r), outgoing: false,
                      activating_overlap: r.activating_overlap,
                      context_overlap: r.context_overlap} } AS neighbours,
  COLLECT { MATCH (n)-[:MEMBER_OF]->(g:NeuronGroup)
            RETURN {key: g.key, model: g.model, size: g.size, layers: g.layers,
                    threshold: g.threshold,
                    members: COLLECT { MATCH (o:Neuron)-[:MEMBER_OF]->(g)
                                       RETURN o.key AS member ORDER BY member
                                       LIMIT $max_members }} } AS groups
