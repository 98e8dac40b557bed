// The stored MLP neurons of a model in some layers (the units `n2g feeds` links): their
// layer and index, in key order.
// Parameters:
//   :param model => 'smollm2-135m'
//   :param layers => [0, 1, 2, 3]
MATCH (n:Neuron)
WHERE n.model = $model AND n.layer IN $layers AND n.unit_set IS NULL AND n.sae IS NULL
RETURN n.layer AS layer, n.index AS index
ORDER BY layer, index
