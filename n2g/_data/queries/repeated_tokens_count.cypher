// How many neurons repeated_tokens.cypher finds in all (its rows beyond one page): the
// service's "N more". Same matching; see that file.
// Parameters (model and layer may be null = any):
//   :param model => null
//   :param layer => null
//   :param level => 0.5
MATCH (n:Neuron)-[a:ACTIVATES_ON]->(t:Token)<-[c:HAS_CONTEXT]-(n)
WHERE a.activation >= $level AND coalesce(c.activation, 1.0) >= $level
  AND ($model IS NULL OR n.model = $model) AND ($layer IS NULL OR n.layer = $layer)
RETURN count(DISTINCT n) AS total
