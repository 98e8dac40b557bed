// Token search: neurons that ACTIVATE ON a token, strongest first.
// Answers "which neurons fire on ' everyone'?" (optionally in one model and/or one layer).
// Parameters (model and layer may be null = any):
//   :param token => ' everyone'
//   :param model => null
//   :param layer => null
//   :param limit => 25
MATCH (:Token {text: $token})<-[a:ACTIVATES_ON]-(n:Neuron)
WHERE ($model IS NULL OR n.model = $model) AND ($layer IS NULL OR n.layer = $layer)
RETURN n.key AS key, n.model AS model, n.layer AS layer, n.index AS index,
       a.activation AS activation, n.f1 AS f1
ORDER BY activation DESC, key
LIMIT $limit
