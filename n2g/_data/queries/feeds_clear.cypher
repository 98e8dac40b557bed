// Remove one source's FEEDS relationships between the units of a model (run before
// writing a fresh computation, in the same transaction: the old edges stay visible until
// the new ones replace them). $source is 'weights', 'data' or
// 'evidence'.
// Parameters:
//   :param model => 'smollm2-135m'
//   :param source => 'weights'
MATCH (a:Neuron)-[r:FEEDS]->(:Neuron)
WHERE a.model = $model AND r.source = $source
DELETE r
RETURN count(*) AS deleted
