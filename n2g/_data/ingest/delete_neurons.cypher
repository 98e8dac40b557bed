// Delete each neuron in $keys with its whole trie and its evidence (every trie node and
// example carries its neuron's key)
// and all its relationships (token, similarity and group edges: they described the old graph).
UNWIND $keys AS neuron_key
CALL (neuron_key) {
  MATCH (a:Activating) WHERE a.neuron = neuron_key DETACH DELETE a
}
CALL (neuron_key) {
  MATCH (c:Context) WHERE c.neuron = neuron_key DETACH DELETE c
}
CALL (neuron_key) {
  MATCH (i:Ignore) WHERE i.neuron = neuron_key DETACH DELETE i
}
CALL (neuron_key) {
  MATCH (e:End) WHERE e.neuron = neuron_key DETACH DELETE e
}
CALL (neuron_key) {
  MATCH (x:Example) WHERE x.neuron = neuron_key DETACH DELETE x
}
MATCH (n:Neuron)
WHERE n.key = neuron_key
DETACH DELETE n
