// The layers that hold neuron graphs of model $model (null = of any model), in order. The
// API asks only when a search with a layer filter finds nothing, to tell "no neuron matches"
// from a layer the model does not have (an error).
// Parameters (model may be null = any):
//   :param model => 'solu-6l-pile'
MATCH (n:Neuron)
WHERE $model IS NULL OR n.model = $model
RETURN DISTINCT n.layer AS layer
ORDER BY layer
