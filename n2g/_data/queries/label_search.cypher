// Units whose one-line label (n2g.graph.label) holds $text, in any case: "fires on `://`"
// is found by "://". Best F1 first (units without a score last), then by key.
// Parameters (model and layer may be null = any):
//   :param text => 'http'
//   :param model => 'solu-6l-pile'
//   :param layer => null
//   :param limit => 25
MATCH (n:Neuron)
WHERE n.label IS NOT NULL AND toLower(n.label) CONTAINS toLower($text)
  AND ($model IS NULL OR n.model = $model) AND ($layer IS NULL OR n.layer = $layer)
RETURN n.key AS key, n.model AS model, n.layer AS layer, n.index AS index,
       n.label AS label, n.f1 AS f1
ORDER BY coalesce(n.f1, -1.0) DESC, key
LIMIT $limit
