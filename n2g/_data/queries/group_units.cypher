// One group's model and all its members (the set `n2g ablate --group KEY` takes away).
// Parameters:
//   :param key => 'smollm2-135m:c2:smollm2-135m/1/964'
MATCH (g:Group) WHERE g.key = $key
RETURN g.model AS model,
       COLLECT { MATCH (g)-[:HAS_MEMBER]->(n:Neuron) RETURN n.key } AS members
LIMIT 1
