// Candidate neurons for "which neurons fire on this text", each with its paths
// (n2g.graph.path_table), which then predict exactly. A neuron is a candidate when it
// activates on one of the text's tokens at least as strongly as $threshold (a token's
// ACTIVATES_ON activation is the largest end value beneath it: a weaker neuron cannot
// reach $threshold) and the text holds a token its paths from there need one step back
// (`firsts`), unless some path needs none (`alone`). Relationships stored before
// `firsts` existed keep their neurons as candidates. Candidates come strongest bound
// first (`bound`: the largest such activation, which no prediction of the neuron on this
// text exceeds), a page at a time: the caller stops once no later one can enter its top.
// $tokens holds the text's tokens as they are and folded (n2g.graph.token_fold): graphs
// built with token folding name their token nodes by the folded text.
// Parameters:
//   :param tokens => [' The', ' cat', ' sat', 'the', 'cat', 'sat']
//   :param model => 'solu-6l-pile'
//   :param threshold => 0.5
//   :param skip => 0
//   :param page => 100
MATCH (t:Token)<-[a:ACTIVATES_ON]-(n:Neuron)
WHERE t.text IN $tokens AND n.model = $model AND a.activation >= $threshold
  AND a.activation > 0
  AND (a.firsts IS NULL OR a.alone >= $threshold OR any(f IN a.firsts WHERE f IN $tokens))
WITH n, max(a.activation) AS bound
ORDER BY bound DESC, n.layer, n.index, n.key
SKIP $skip LIMIT $page
// One record of parallel lists: hundreds of candidates are one message, not one each.
RETURN collect(n.key) AS keys, collect(n.layer) AS layers, collect(n.index) AS indexes,
       collect(bound) AS bounds, collect(coalesce(n.fold_tokens, false)) AS folds,
       collect(coalesce(n.paths, '')) AS paths
