// Remove the SIMILAR_TO / SUBSET_OF relationships touching the neurons of some models
// (run before writing a fresh similarity computation; same transaction).
// Parameters:
//   :param models => ['solu-6l-pile']
MATCH (n:Neuron)-[r:SIMILAR_TO|SUBSET_OF]-()
WHERE n.model IN $models
WITH DISTINCT r
DELETE r
RETURN count(*) AS deleted
