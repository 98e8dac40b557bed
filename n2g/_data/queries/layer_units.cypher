// One page of the units of a model's layer (its MLP neurons, or one unit set's latents),
// with their labels and main scores, sorted by $sort: 'index' or a stored score property
// (n2g.db.score_properties.SCORE_PROPERTIES). $order is 1 for the highest first, -1 for
// the lowest first; units without that score come last either way, ties by key (so a
// score's first page is `n2g top --layer` of these units). Units loaded before the
// property was named `unit_set` hold it as `n.sae` (as in model_quality.cypher).
// Parameters ($unit_set '' = the layer's MLP neurons):
//   :param model => 'solu-6l-pile'
//   :param layer => 1
//   :param unit_set => ''
//   :param sort => 'f1'
//   :param order => 1
//   :param skip => 0
//   :param limit => 50
MATCH (n:Neuron)
WHERE n.model = $model AND n.layer = $layer AND coalesce(n.unit_set, n.sae, '') = $unit_set
WITH n, n[$sort] AS value
ORDER BY CASE WHEN value IS NULL THEN 1 ELSE 0 END, value * $order DESC, n.key
SKIP $skip
LIMIT $limit
RETURN n.key AS key, n.index AS index, n.label AS label, value AS score, n.f1 AS f1,
       n.precision AS precision, n.recall AS recall, n.correlation_n2g AS correlation,
       n.ood_false_positive_rate AS ood_false_positive_rate,
       n.n_activating_tokens AS n_activating_tokens
