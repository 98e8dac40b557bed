// The best (or worst) units by one stored score, with their strongest activating tokens:
// `n2g top`. Units whose score is undefined (absent) are left out. $score names a
// (:Neuron) score property (n2g.db.mapping.SCORE_PROPERTIES); $order is 1 for the best
// first, -1 for the worst first.
// Parameters (model and layer may be null = any):
//   :param score => 'f1'
//   :param model => 'solu-6l-pile'
//   :param layer => null
//   :param order => 1
//   :param limit => 25
MATCH (n:Neuron)
WHERE ($model IS NULL OR n.model = $model) AND ($layer IS NULL OR n.layer = $layer)
  AND n[$score] IS NOT NULL
WITH n, n[$score] AS score
ORDER BY score * $order DESC, n.key
LIMIT $limit
RETURN n.key AS key, n.model AS model, n.layer AS layer, n.index AS index, score,
       n.f1 AS f1, n.n_activating_tokens AS n_activating_tokens, n.label AS label,
       [(n)-[a:ACTIVATES_ON]->(t:Token) | [a.activation, t.text]] AS tokens
