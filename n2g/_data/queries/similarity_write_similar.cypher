// Write SIMILAR_TO pairs (one relationship a pair, from the smaller key to the larger;
// read it undirected). activating_overlap and context_overlap are |A∩B| / max(|A|,|B|).
// Parameters:
//   :param pairs => [{source: 'm/1/5', target: 'm/4/9', activating_overlap: 1.0, context_overlap: 0.9}]
UNWIND $pairs AS p
MATCH (a:Neuron {key: p.source}), (b:Neuron {key: p.target})
CREATE (a)-[:SIMILAR_TO {activating_overlap: p.activating_overlap,
                         context_overlap: p.context_overlap}]->(b)
RETURN count(*) AS written
