// Write FEEDS edges, an earlier unit to a later one: `weight` (the signed score of the
// source that computed it: the direct-path virtual weight for 'weights',
// n2g.models.virtual_weights; the attribution share for 'data', n2g.models.attribution;
// the token cosine for 'evidence', n2g.circuits.evidence), `virtual_weight` (the
// 'weights' source's only), `rank` (the source's place among the target's feeders by
// |weight|, 0 the strongest), `source` (what computed it: each row's `kind`). An edge
// whose units are not both stored is skipped.
// Parameters:
//   :param edges => [{source: 'smollm2-135m/0/5', target: 'smollm2-135m/1/7', weight: 0.8, virtual_weight: 0.8, rank: 0, kind: 'weights'}]
UNWIND $edges AS e
MATCH (a:Neuron) WHERE a.key = e.source
MATCH (b:Neuron) WHERE b.key = e.target
CREATE (a)-[:FEEDS {weight: e.weight, virtual_weight: e.virtual_weight, rank: e.rank, source: e.kind}]->(b)
RETURN count(*) AS written
