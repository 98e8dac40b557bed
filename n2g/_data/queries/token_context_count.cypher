// How many neurons token_context.cypher finds in all (its rows beyond one page): the
// service's "N more". Same matching; see that file.
// Parameters (model and layer may be null = any):
//   :param context => ' except'
//   :param folded_context => 'except'
//   :param model => null
//   :param layer => null
//   :param level => 0.5
MATCH (t:Token)<-[c:HAS_CONTEXT]-(n:Neuron)
WHERE t.text IN [$context, $folded_context]
  AND (t.text = $context OR coalesce(n.fold_tokens, false))
  AND coalesce(c.activation, 1.0) >= $level
  AND ($model IS NULL OR n.model = $model) AND ($layer IS NULL OR n.layer = $layer)
RETURN count(DISTINCT n) AS total
