// Remove up to $limit of one source's FEEDS relationships into the given units of a model
// (run again until it deletes none, before writing a fresh computation of those units'
// feeders; edges into other units stay). $source is 'weights', 'data' or 'evidence'.
// Parameters:
//   :param model => 'smollm2-135m'
//   :param source => 'weights'
//   :param targets => ['smollm2-135m/1/7', 'smollm2-135m/1/8']
//   :param limit => 5000
UNWIND $targets AS key
MATCH (b:Neuron) WHERE b.key = key
MATCH (a:Neuron)-[r:FEEDS]->(b)
WHERE a.model = $model AND r.source = $source
WITH r LIMIT $limit
DELETE r
RETURN count(*) AS deleted
