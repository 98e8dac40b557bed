// How many neurons token_activating.cypher finds in all (its rows beyond one page): the
// service's "N more". Same matching; see that file.
// Parameters (model and layer may be null = any):
//   :param token => ' everyone'
//   :param folded => 'everyone'
//   :param model => null
//   :param layer => null
//   :param level => 0.5
MATCH (t:Token)<-[a:ACTIVATES_ON]-(n:Neuron)
WHERE t.text IN [$token, $folded] AND (t.text = $token OR coalesce(n.fold_tokens, false))
  AND a.activation >= $level
  AND ($model IS NULL OR n.model = $model) AND ($layer IS NULL OR n.layer = $layer)
RETURN count(DISTINCT n) AS total
