// Does a model hold any FEEDS edge of a source? (empty: `n2g feeds` has not run on it).
// Parameters ($source null: any source):
//   :param model => 'smollm2-135m'
//   :param source => 'weights'
MATCH (a:Neuron)-[r:FEEDS]->(:Neuron)
WHERE a.model = $model AND ($source IS NULL OR r.source = $source)
RETURN a.key AS key
LIMIT 1
