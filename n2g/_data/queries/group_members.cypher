// Every group of one scope with its level, size and all its members (for the main job's
// check of groups against the model, n2g.run.coactivation).
// Parameters:
//   :param model => 'solu-6l-pile'
MATCH (g:Group)
WHERE g.model = $model
RETURN g.key AS key, g.level AS level, g.size AS size,
       COLLECT { MATCH (g)-[:HAS_MEMBER]->(n:Neuron) RETURN n.key } AS members
ORDER BY key
