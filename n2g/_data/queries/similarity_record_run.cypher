// Record on each compared model that `n2g similar` ran, and how: the overlap threshold,
// the level tokens counted from, and the scope (the models compared together, joined by
// +). Written in the same transaction as the pairs and groups it describes, so a page can
// tell "similarity not computed for this model" from "computed, and this unit has no
// similar unit at this threshold" (n2g serve's unit page, queries/model_similarity.cypher).
// Parameters:
//   :param models => ['solu-6l-pile']
//   :param threshold => 0.9
//   :param level => 0.5
//   :param scope => 'solu-6l-pile'
MATCH (m:Model)
WHERE m.name IN $models
SET m.similarity_threshold = $threshold, m.similarity_level = $level,
    m.similarity_scope = $scope
RETURN count(m) AS recorded
