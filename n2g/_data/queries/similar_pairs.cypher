// The materialised similarity of a model: SIMILAR_TO or SUBSET_OF pairs with their scores,
// most similar first (run `n2g similar --model M` first to compute them).
// Parameters:
//   :param model => 'solu-6l-pile'
//   :param relation => 'SIMILAR_TO'   // or 'SUBSET_OF'
//   :param limit => 25
MATCH (a:Neuron {model: $model})-[r:SIMILAR_TO|SUBSET_OF]->(b:Neuron)
WHERE type(r) = $relation
RETURN a.key AS source, b.key AS target, type(r) AS relation,
       r.activating_overlap AS activating_overlap, r.context_overlap AS context_overlap
ORDER BY CASE WHEN activating_overlap < context_overlap THEN activating_overlap
              ELSE context_overlap END DESC, source, target
LIMIT $limit
