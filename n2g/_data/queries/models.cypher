// The models in the database with their neuron counts (what every search can filter by).
// Parameters: none.
MATCH (m:Model)
RETURN m.name AS model, count { (m)-[:HAS_NEURON]->(:Neuron) } AS neurons
ORDER BY model
