// Token search: neurons that ACTIVATE ON a token, strongest first.
// Answers "which neurons fire on ' everyone'?" (optionally in one model and/or one layer).
// Only where the token's paths predict at least $level (0.5: firing; 0: any path).
// Tokens match as typed, and folded ($folded: stripped and lower-cased, as
// n2g.graph.token_fold folds them; equal to the token when it already is) in graphs built
// with token folding (n.fold_tokens), whose token nodes are named by their folded text.
// Parameters (model and layer may be null = any):
//   :param token => ' everyone'
//   :param folded => 'everyone'
//   :param model => null
//   :param layer => null
//   :param level => 0.5
//   :param skip => 0
//   :param limit => 25
MATCH (t:Token)<-[a:ACTIVATES_ON]-(n:Neuron)
WHERE t.text IN [$token, $folded] AND (t.text = $token OR coalesce(n.fold_tokens, false))
  AND a.activation >= $level
  AND ($model IS NULL OR n.model = $model) AND ($layer IS NULL OR n.layer = $layer)
RETURN n.key AS key, n.model AS model, n.layer AS layer, n.index AS index,
       a.activation AS activation, n.f1 AS f1, n.correlation_n2g AS correlation,
       n.label AS label
ORDER BY activation DESC, key
SKIP $skip
LIMIT $limit
