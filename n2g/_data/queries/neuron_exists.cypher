// Is neuron $key stored? One indexed lookup (the API checks a neuron before searching).
// Parameters:
//   :param key => 'solu-6l-pile/1/2000'
MATCH (n:Neuron)
WHERE n.key = $key
RETURN n.key AS key
