// Which of these neurons are stored already, and the hash of the graph they were loaded from.
// $keys: [neuron key]
UNWIND $keys AS neuron_key
MATCH (neuron:Neuron)
WHERE neuron.key = neuron_key
RETURN neuron.key AS key, neuron.graph_hash AS graph_hash
