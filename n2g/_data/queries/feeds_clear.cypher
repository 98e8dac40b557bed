// Remove up to $limit of one source's FEEDS relationships between the units of a model
// (run again until it deletes none, before writing a fresh computation: a transaction
// holds at most $limit edges). $source is 'weights', 'data' or 'evidence'.
// Parameters:
//   :param model => 'smollm2-135m'
//   :param source => 'weights'
//   :param limit => 5000
MATCH (a:Neuron)-[r:FEEDS]->(:Neuron)
WHERE a.model = $model AND r.source = $source
WITH r LIMIT $limit
DELETE r
RETURN count(*) AS deleted
