// Token search, both together: neurons that activate on a token WITH a context token
// before it on the same trie path (the paper's example: fires on ' everyone' after
// ' except'). The ACTIVATES_ON/HAS_CONTEXT index narrows the neurons; the trie walk
// then checks that the context token lies on a path beneath that activating token.
// Ranked by the activating node's activation, then the context node's importance.
// Parameters (model and layer may be null = any):
//   :param token => ' everyone'
//   :param context => ' except'
//   :param model => null
//   :param layer => null
//   :param limit => 25
MATCH (:Token {text: $token})<-[:ACTIVATES_ON]-(n:Neuron)-[:HAS_CONTEXT]->(:Token {text: $context})
WHERE ($model IS NULL OR n.model = $model) AND ($layer IS NULL OR n.layer = $layer)
MATCH (n)-[:TRIE_ROOT]->(a:Activating {token: $token})-[:NEXT*1..]->(c:Context {token: $context})
WITH n, max(a.activation) AS activation, max(c.importance) AS importance,
     min(c.depth) AS distance
RETURN n.key AS key, n.model AS model, n.layer AS layer, n.index AS index,
       activation, importance, distance, n.f1 AS f1
ORDER BY activation DESC, importance DESC, key
LIMIT $limit
