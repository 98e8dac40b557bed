// How many neurons token_activating_with_context.cypher finds in all (its rows beyond
// one page): the service's "N more". Same matching and trie walk; see that file.
// Parameters (model and layer may be null = any):
//   :param token => ' everyone'
//   :param folded => 'everyone'
//   :param context => ' except'
//   :param folded_context => 'except'
//   :param model => null
//   :param layer => null
//   :param level => 0.5
MATCH (ta:Token)<-[ra:ACTIVATES_ON]-(n:Neuron)-[rc:HAS_CONTEXT]->(tc:Token)
WHERE ta.text IN [$token, $folded] AND tc.text IN [$context, $folded_context]
  AND ((ta.text = $token AND tc.text = $context) OR coalesce(n.fold_tokens, false))
  AND ra.activation >= $level AND coalesce(rc.activation, 1.0) >= $level
  AND ($model IS NULL OR n.model = $model) AND ($layer IS NULL OR n.layer = $layer)
MATCH (n)-[:TRIE_ROOT]->(a:Activating)-[:NEXT*1..]->(c:Context)-[:NEXT*1..]->(e:End)
WHERE a.token = ta.text AND c.token = tc.text AND e.activation >= $level
RETURN count(DISTINCT n) AS total
