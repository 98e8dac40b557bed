// Does model $model have at least one neuron graph? One indexed lookup, no counting (the API
// checks a model filter before searching; models.cypher lists all models with counts).
// Parameters:
//   :param model => 'solu-6l-pile'
MATCH (m:Model)
WHERE m.name = $model
RETURN EXISTS { (m)-[:HAS_NEURON]->(:Neuron) } AS has_neurons
