// Everything a unit's page shows, in one round trip: the unit's graph as stored whole (its
// file line, `graph`: trie, scores, settings and evidence; null for units loaded by an
// older n2g-ingest, which the service then rebuilds from their nodes), its stored
// similarity neighbours (SIMILAR_TO read undirected; SUBSET_OF with its direction:
// `outgoing` = the unit is the subset) and the groups it is a member of (every level,
// level 0 first), each with its first members in key order. No row when the unit is not stored.
// Parameters:
//   :param key => 'solu-6l-pile/1/2000'
//   :param max_members => 50
MATCH (n:Neuron)
WHERE n.key = $key
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
