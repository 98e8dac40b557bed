// The activating-token set and context-token set of every neuron of some models: the
// input of the all-pairs similarity join (`n2g similar`, n2g/search/similarity.py): the
// tokens whose paths predict at least $level (0.5: firing; 0: every token of the graph).
// Parameters:
//   :param models => ['solu-6l-pile']
//   :param level => 0.5
MATCH (n:Neuron)
WHERE n.model IN $models
RETURN n.key AS key, n.layer AS layer,
       [(n)-[a:ACTIVATES_ON]->(t:Token) WHERE a.activation >= $level | t.text] AS activating,
       [(n)-[c:HAS_CONTEXT]->(t:Token) WHERE coalesce(c.activation, 1.0) >= $level | t.text]
         AS context
