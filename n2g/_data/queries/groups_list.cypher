// Groups of one level (0: the paper's connected components of SIMILAR_TO; 1..: the
// communities, finest first), largest first, then the widest spread over layers; with
// $parent, only the groups nested in that one. Members in key order, the first
// $max_members of them (`size` says how many there are).
// Parameters (model and parent may be null = any):
//   :param model => null
//   :param level => 0
//   :param parent => null
//   :param min_size => 2
//   :param limit => 25
//   :param max_members => 50
MATCH (g:Group)
WHERE ($model IS NULL OR g.model = $model) AND g.level = $level AND g.size >= $min_size
  AND ($parent IS NULL OR g.parent = $parent)
WITH g, COLLECT { MATCH (g)-[:HAS_MEMBER]->(n:Neuron) RETURN n.key AS member
                  ORDER BY member LIMIT $max_members } AS members
RETURN g.key AS key, g.model AS model, g.level AS level, g.method AS method,
       g.size AS size, g.layers AS layers, size(g.layers) AS n_layers,
       g.threshold AS threshold, g.resolution AS resolution, g.label AS label,
       g.parent AS parent, g.coactivation AS coactivation,
       g.coactivation_pairs AS coactivation_pairs, g.ablation AS ablation, members
ORDER BY size DESC, n_layers DESC, key
LIMIT $limit
