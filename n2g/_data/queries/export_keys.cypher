// The keys of the units `n2g export` writes: one model's, or every model's, in one layer
// or all, in key order.
// Parameters (model and layer may be null = any):
//   :param model => 'solu-6l-pile'
//   :param layer => null
MATCH (n:Neuron)
WHERE ($model IS NULL OR n.model = $model) AND ($layer IS NULL OR n.layer = $layer)
RETURN n.key AS key
ORDER BY key
