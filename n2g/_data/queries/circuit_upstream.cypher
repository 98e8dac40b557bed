// The units that feed unit $key, up to $depth FEEDS steps back (1..4): each edge on such
// a path once, with `hop` its far end's distance from the unit (1: a direct feeder), the
// nearest first, then by |weight| (the source's score). $source: 'weights', 'data' or
// 'evidence' (null: any).
// The pattern's bound (4) is the most the CLI and the API allow; $depth picks within it.
// Parameters:
//   :param key => 'smollm2-135m/3/286'
//   :param depth => 2
//   :param source => 'weights'
//   :param limit => 50
MATCH (u:Neuron) WHERE u.key = $key
MATCH p = (:Neuron)-[:FEEDS*1..4]->(u)
WHERE length(p) <= $depth
  AND all(x IN relationships(p) WHERE $source IS NULL OR x.source = $source)
WITH relationships(p)[0] AS r, length(p) AS hop
WITH r, min(hop) AS hop
WITH r, hop, startNode(r) AS a, endNode(r) AS b
RETURN a.key AS source, b.key AS target, hop, r.source AS kind,
       coalesce(r.weight, r.virtual_weight) AS weight, r.virtual_weight AS virtual_weight,
       r.rank AS rank,
       r.ablation_effect AS ablation_effect, r.mean_ablation_effect AS mean_ablation_effect,
       a.label AS source_label, b.label AS target_label,
       a.layer AS source_layer, b.layer AS target_layer
ORDER BY hop, abs(weight) DESC, source, target
LIMIT $limit
