// How many FEEDS edges of one source a model's units have (`n2g run --circuits` reads it to
// tell whether the edges its marker names are still stored).
// Parameters:
//   :param model => 'smollm2-135m'
//   :param source => 'data'
MATCH (a:Neuron)-[r:FEEDS]->(:Neuron)
WHERE a.model = $model AND r.source = $source
RETURN count(r) AS edges
