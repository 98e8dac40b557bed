// Neuron groups (connected components of the SIMILAR_TO relation), largest first, then
// the widest spread over layers. Members are listed in key order.
// Parameters (model may be null = any):
//   :param model => null
//   :param min_size => 2
//   :param limit => 25
MATCH (g:NeuronGroup)
WHERE ($model IS NULL OR g.model = $model) AND g.size >= $min_size
WITH g, COLLECT { MATCH (n:Neuron)-[:MEMBER_OF]->(g) RETURN n.key ORDER BY n.key } AS members
RETURN g.key AS key, g.model AS model, g.size AS size, g.layers AS layers,
       size(g.layers) AS n_layers, g.threshold AS threshold, members
ORDER BY size DESC, n_layers DESC, key
LIMIT $limit
