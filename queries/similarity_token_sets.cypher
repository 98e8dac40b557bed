// The activating-token set and context-token set of every neuron of some models: the
// input of the all-pairs similarity join (`n2g similar`, n2g/search/similarity.py).
// Parameters:
//   :param models => ['solu-6l-pile']
MATCH (n:Neuron)
WHERE n.model IN $models
RETURN n.key AS key, n.layer AS layer,
       [(n)-[:ACTIVATES_ON]->(t:Token) | t.text] AS activating,
       [(n)-[:HAS_CONTEXT]->(t:Token) | t.text] AS context
