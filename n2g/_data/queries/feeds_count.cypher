// How many FEEDS edges of one source link a model's MLP neurons of the given layers (`n2g
// run --circuits` reads it to tell whether the edges its marker names are still stored;
// edges other runs stored into other layers or unit sets are not counted).
// Parameters:
//   :param model => 'smollm2-135m'
//   :param source => 'data'
//   :param layers => [0, 1, 2, 3]
MATCH (a:Neuron)-[r:FEEDS]->(b:Neuron)
WHERE a.model = $model AND r.source = $source AND a.layer IN $layers AND b.layer IN $layers
  AND a.unit_set IS NULL AND b.unit_set IS NULL
RETURN count(r) AS edges
