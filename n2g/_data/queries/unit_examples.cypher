// The evidence of units: the windows each graph was built (split 'train') and tested
// (split 'test') on, as snippets with every token's true and predicted normalised
// activation. One indexed lookup; takes a list of keys so the API fetches many at once.
// In the Browser, the unit with its examples: MATCH (n:Neuron)-[:HAS_EXAMPLE]->(e) ...
// Parameters:
//   :param keys => ['smollm2-135m/3/286']
MATCH (e:Example)
WHERE e.neuron IN $keys
RETURN e.neuron AS neuron, e AS example
ORDER BY neuron, example.rank
