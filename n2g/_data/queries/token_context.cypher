// Token search: neurons whose graph has a CONTEXT token, most important first.
// Answers "which neurons need ' except' somewhere before the token they fire on?".
// Only where its paths predict at least $level (relationships stored without one count).
// Tokens match as typed, and folded ($folded_context: stripped and lower-cased, as
// n2g.graph.token_fold folds them; equal to the context when it already is) in graphs built
// with token folding (n.fold_tokens), whose token nodes are named by their folded text.
// Parameters (model and layer may be null = any):
//   :param context => ' except'
//   :param folded_context => 'except'
//   :param model => null
//   :param layer => null
//   :param level => 0.5
//   :param skip => 0
//   :param limit => 25
MATCH (t:Token)<-[c:HAS_CONTEXT]-(n:Neuron)
WHERE t.text IN [$context, $folded_context]
  AND (t.text = $context OR coalesce(n.fold_tokens, false))
  AND coalesce(c.activation, 1.0) >= $level
  AND ($model IS NULL OR n.model = $model) AND ($layer IS NULL OR n.layer = $layer)
RETURN n.key AS key, n.model AS model, n.layer AS layer, n.index AS index,
       c.importance AS importance, n.f1 AS f1, n.correlation_n2g AS correlation,
       n.label AS label
ORDER BY importance DESC, key
SKIP $skip
LIMIT $limit
