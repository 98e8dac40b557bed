// The main job's check of a model's relations against the model (JSON text; null when
// no run measured it): see model_set_coactivation.cypher.
// Parameters:
//   :param model => 'smollm2-135m'
MATCH (m:Model) WHERE m.name = $model
RETURN m.coactivation AS summary
