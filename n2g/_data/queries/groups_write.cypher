// Write neuron groups (connected components of SIMILAR_TO) and their MEMBER_OF links.
// Parameters:
//   :param groups => [{key: 'm:group:m/1/5', model: 'm', size: 2, layers: [1, 4], threshold: 0.9, members: ['m/1/5', 'm/4/9']}]
UNWIND $groups AS g
CREATE (ng:NeuronGroup {key: g.key, model: g.model, size: g.size, layers: g.layers,
                        threshold: g.threshold})
WITH ng, g
UNWIND g.members AS member
MATCH (n:Neuron {key: member})
CREATE (n)-[:MEMBER_OF]->(ng)
RETURN count(*) AS written
