// One neuron's whole graph, for display: the neuron, every trie node under it and each
// node's parent (the Browser draws TRIE_ROOT/NEXT between the returned nodes). Takes a
// list of keys so the Python API can fetch many tries in one round trip.
// Parameters:
//   :param keys => ['solu-6l-pile/1/2000']
MATCH (n:Neuron)
WHERE n.key IN $keys
OPTIONAL MATCH (n)-[:TRIE_ROOT]->(root:Activating)
OPTIONAL MATCH (root)-[:NEXT*0..]->(node)
OPTIONAL MATCH (parent)-[:NEXT]->(node)
RETURN n AS neuron, node, labels(node) AS labels, parent.id AS parent
