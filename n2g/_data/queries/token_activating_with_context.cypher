// Token search, both together: neurons that activate on a token WITH a context token
// before it on the same trie path (the paper's example: fires on ' everyone' after
// ' except'). The ACTIVATES_ON/HAS_CONTEXT index narrows the neurons; the trie walk
// then checks that the context token lies on a path beneath that activating token.
// Ranked by the activating node's activation, then the context node's importance. Only
// paths whose end predicts at least $level count (0.5: firing; 0: any path).
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
//   :param level => 0.5
//   :param skip => 0
//   :param limit => 25
MATCH (ta:Token)<-[ra:ACTIVATES_ON]-(n:Neuron)-[rc:HAS_CONTEXT]->(tc:Token)
WHERE ta.text IN [$token, $folded] AND tc.text IN [$context, $folded_context]
  AND ((ta.text = $token AND tc.text = $context) OR coalesce(n.fold_tokens, false))
  AND ra.activation >= $level AND coalesce(rc.activation, 1.0) >= $level
  AND ($model IS NULL OR n.model = $model) AND ($layer IS NULL OR n.layer = $layer)
MATCH (n)-[:TRIE_ROOT]->(a:Activating)-[:NEXT*1..]->(c:Context)-[:NEXT*1..]->(e:End)
WHERE a.token = ta.text AND c.token = tc.text AND e.activation >= $level
WITH n, max(a.activation) AS activation, max(c.importance) AS importance,
     min(c.depth) AS distance
RETURN n.key AS key, n.model AS model, n.layer AS layer, n.index AS index,
       activation, importance, distance, n.f1 AS f1, n.correlation_n2g AS correlation,
       n.label AS label
ORDER BY activation DESC, importance DESC, key
SKIP $skip
LIMIT $limit
