// The stored MLP neurons of a model in some layers with their graphs' tokens, what the
// 'evidence' FEEDS edges are computed from (n2g/circuits/evidence.py): each activating
// token with its activation, each context token with the activation of the paths
// through it (its importance where a graph stored none).
// Parameters:
//   :param model => 'smollm2-135m'
//   :param layers => [0, 1, 2, 3]
MATCH (n:Neuron)
WHERE n.model = $model AND n.layer IN $layers AND n.unit_set IS NULL AND n.sae IS NULL
RETURN n.layer AS layer, n.index AS index,
       [(n)-[a:ACTIVATES_ON]->(t:Token) | {text: t.text, weight: a.activation}] AS activating,
       [(n)-[c:HAS_CONTEXT]->(t:Token) | {text: t.text, weight: coalesce(c.activation, c.importance)}] AS context
ORDER BY layer, index
