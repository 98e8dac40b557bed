// The token texts the neurons in $keys link to (before they are replaced). $keys: [neuron key]
UNWIND $keys AS neuron_key
MATCH (neuron:Neuron)-[:ACTIVATES_ON|HAS_CONTEXT]->(token:Token)
WHERE neuron.key = neuron_key
RETURN DISTINCT token.text AS text
