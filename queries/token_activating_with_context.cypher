// Token search, both together: neurons that activate on a token WITH a context token
// before it on the same trie path (the paper's example: fires on ' everyone' after
// ' except'). The ACTIVATES_ON/HAS_CONTEXT index narrows the neurons; the trie walk
// then checks that the context token lies on a path beneath that activating token.
// Ranked by the activating node's activation, then the context node's importance.
// Tokens match as typed, and folded ($folded, $folded_context: stripped and lower-cased, as
// n2g.graph.token_fold folds them; equal to the token when it already is) in graphs built
// with token folding (n.fold_tokens), whose token nodes are named by their folded text.
// Parameters (model and layer may be null = any):
//   :param token => ' everyone'
//   :param folded => 'everyone'
//   :param context => ' except'
//   :param folded_context => 'except'
//   :param model => null
//   :param layer => null
//   :param limit => 25
MATCH (ta:Token)<-[:ACTIVATES_ON]-(n:Neuron)-[:HAS_CONTEXT]->(tc:Token)
WHERE ta.text IN [$token, $folded] AND tc.text IN [$context, $folded_context]
  AND ((ta.text = $token AND tc.text = $context) OR coalesce(n.fold_tokens, false))
  AND ($model IS NULL OR n.model = $model) AND ($layer IS NULL OR n.layer = $layer)
MATCH (n)-[:TRIE_ROOT]->(a:Activating)-[:NEXT*1..]->(c:Context)
WHERE a.token = ta.text AND c.token = tc.text
WITH n, max(a.activation) AS activation, max(c.importance) AS importance,
     min(c.depth) AS distance
RETURN n.key AS key, n.model AS model, n.layer AS layer, n.index AS index,
       activation, importance, distance, n.f1 AS f1, n.label AS label
ORDER BY activation DESC, importance DESC, key
LIMIT $limit
