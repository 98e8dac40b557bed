// The FEEDS paths from unit $source_key to unit $target_key of at most $depth steps
// (1..4), the strongest first by the product of their weights' sizes (each edge's
// source's score). $source: 'weights', 'data' or 'evidence' (null: any).
// Parameters:
//   :param source_key => 'smollm2-135m/0/5'
//   :param target_key => 'smollm2-135m/3/286'
//   :param depth => 3
//   :param source => 'weights'
//   :param limit => 25
MATCH (a:Neuron) WHERE a.key = $source_key
MATCH (b:Neuron) WHERE b.key = $target_key
MATCH p = (a)-[:FEEDS*1..4]->(b)
WHERE length(p) <= $depth
  AND all(x IN relationships(p) WHERE $source IS NULL OR x.source = $source)
WITH [n IN nodes(p) | n.key] AS units,
     [x IN relationships(p) | coalesce(x.weight, x.virtual_weight)] AS weights
RETURN units, weights,
       reduce(s = 1.0, w IN weights | s * abs(w)) AS strength
ORDER BY strength DESC, size(units)
LIMIT $limit
