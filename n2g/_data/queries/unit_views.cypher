// Many units' views in one round trip (n2g serve --warm builds a whole model's pages in
// batches of these): for each key of $keys that is stored, one row with exactly what
// queries/unit_view.cypher returns for it (its graph as stored whole, its similarity
// neighbours, its groups with their first members), in no set order. Keys not stored
// give no row.
// Parameters:
//   :param keys => ['solu-6l-pile/1/2000', 'solu-6l-pile/1/2001']
//   :param max_members => 50
UNWIND $keys AS wanted
MATCH (n:Neuron)
WHERE n.key = wanted
RETURN n.key AS key, n.graph AS graph,
  COLLECT { MATCH (n)-[r:SIMILAR_TO|SUBSET_OF]->(m:Neuron)
            RETURN {key: m.key, relation: type(r), outgoing: true,
                    activating_overlap: r.activating_overlap,
                    context_overlap: r.context_overlap} }
  + COLLECT { MATCH (n)<-[r:SIMILAR_TO|SUBSET_OF]-(m:Neuron)
              RETURN {key: m.key, relation: type(r), outgoing: false,
                      activating_overlap: r.activating_overlap,
                      context_overlap: r.context_overlap} } AS neighbours,
  COLLECT { MATCH (g:Group)-[:HAS_MEMBER]->(n)
            RETURN {key: g.key, model: g.model, level: g.level, size: g.size,
                    layers: g.layers, threshold: g.threshold, resolution: g.resolution,
                    label: g.label, parent: g.parent, coactivation: g.coactivation,
                    members: COLLECT { MATCH (g)-[:HAS_MEMBER]->(o:Neuron)
                                       RETURN o.key AS member ORDER BY member
                                       LIMIT $max_members }}
            ORDER BY g.level } AS groups
