// Mark the models whose FEEDS edges changed (written, deleted, or given measured ablation
// effects) with a fresh token, so the service's store watch, which reads every model's
// properties (store_stamp.cypher), drops the answers it kept about them.
// Parameters:
//   :param models => ['smollm2-135m']
//   :param token => '5f0c2a9e'
UNWIND $models AS name
MATCH (m:Model) WHERE m.name = name
SET m.feeds_changed = $token
RETURN count(*) AS marked
