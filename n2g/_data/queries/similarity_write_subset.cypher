// Write SUBSET_OF pairs: (a)-[:SUBSET_OF]->(b) when a's activating tokens and a's context
// tokens are each contained in b's for at least the threshold share (|A∩B| / |A|, the
// paper's min-overlap taken in the direction of containment) and a, b are not SIMILAR_TO.
// Parameters:
//   :param pairs => [{source: 'm/1/5', target: 'm/4/9', activating_overlap: 1.0, context_overlap: 0.9}]
UNWIND $pairs AS p
MATCH (a:Neuron {key: p.source}), (b:Neuron {key: p.target})
CREATE (a)-[:SUBSET_OF {activating_overlap: p.activating_overlap,
                        context_overlap: p.context_overlap}]->(b)
RETURN count(*) AS written
