// Repeated-token neurons: a token that is both among a neuron's activating tokens and
// in its context. This is how the paper found its in-context-learning neuron (fires on
// the second 'b' of "a b ... a b"). Neurons with the most repeated tokens come first.
// Both relationships must predict at least $level (0.5: firing; 0: any path).
// Parameters (model and layer may be null = any):
//   :param model => null
//   :param layer => null
//   :param level => 0.5
//   :param skip => 0
//   :param limit => 25
MATCH (n:Neuron)-[a:ACTIVATES_ON]->(t:Token)<-[c:HAS_CONTEXT]-(n)
WHERE a.activation >= $level AND coalesce(c.activation, 1.0) >= $level
  AND ($model IS NULL OR n.model = $model) AND ($layer IS NULL OR n.layer = $layer)
WITH n, collect(t.text) AS tokens, max(a.activation) AS activation
RETURN n.key AS key, n.model AS model, n.layer AS layer, n.index AS index,
       size(tokens) AS n_repeated, tokens, activation, n.f1 AS f1,
       n.correlation_n2g AS correlation, n.label AS label
ORDER BY n_repeated DESC, activation DESC, key
SKIP $skip
LIMIT $limit
