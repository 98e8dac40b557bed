// Token search: neurons whose graph has a CONTEXT token, most important first.
// Answers "which neurons need ' except' somewhere before the token they fire on?".
// Parameters (model and layer may be null = any):
//   :param context => ' except'
//   :param model => null
//   :param layer => null
//   :param limit => 25
MATCH (:Token {text: $context})<-[c:HAS_CONTEXT]-(n:Neuron)
WHERE ($model IS NULL OR n.model = $model) AND ($layer IS NULL OR n.layer = $layer)
RETURN n.key AS key, n.model AS model, n.layer AS layer, n.index AS index,
       c.importance AS importance, n.f1 AS f1
ORDER BY importance DESC, key
LIMIT $limit
