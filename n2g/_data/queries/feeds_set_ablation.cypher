// Record the measured effect of ablating a feeder on the FEEDS edges of one source (`kind`)
// (n2g.models.ablation): the share of the target's activation at its firing positions
// that goes when the feeder is zero-ablated (`ablation_effect`) or mean-ablated
// (`mean_ablation_effect`); negative: the feeder inhibits it.
// Parameters:
//   :param effects => [{source: 'smollm2-135m/0/5', target: 'smollm2-135m/1/7', kind: 'weights', zero: 0.4, mean: 0.3}]
UNWIND $effects AS e
MATCH (a:Neuron)-[r:FEEDS]->(b:Neuron)
WHERE a.key = e.source AND b.key = e.target AND r.source = e.kind
SET r.ablation_effect = e.zero, r.mean_ablation_effect = e.mean
RETURN count(*) AS updated
