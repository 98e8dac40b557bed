// One unit of a model's layer (or of any layer, any model), the $skip-th as the database
// lists them: the service draws $skip at random below the count of such units (from
// model_quality.cypher's rows) for "a random unit". $unit_set '' = MLP neurons.
// Parameters (model and layer may be null = any):
//   :param model => 'solu-6l-pile'
//   :param layer => null
//   :param unit_set => ''
//   :param skip => 0
MATCH (n:Neuron)
WHERE ($model IS NULL OR n.model = $model) AND ($layer IS NULL OR n.layer = $layer)
  AND coalesce(n.unit_set, n.sae, '') = $unit_set
RETURN n.key AS key
SKIP $skip
LIMIT 1
