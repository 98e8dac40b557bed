// Store how alike a group's members behave in the model: the mean Pearson r of the true
// activations of its member pairs on random windows of the corpus (`coactivation`), over
// `coactivation_pairs` pairs, and the same for random pairs of its layers
// (`coactivation_random`), measured by the main job (n2g.run.coactivation).
// Parameters:
//   :param rows => [{key: 'm:c1:m/0/5', coactivation: 0.62, pairs: 10, random: 0.01}]
UNWIND $rows AS row
MATCH (g:Group) WHERE g.key = row.key
SET g.coactivation = row.coactivation, g.coactivation_pairs = row.pairs,
    g.coactivation_random = row.random
RETURN count(*) AS written
