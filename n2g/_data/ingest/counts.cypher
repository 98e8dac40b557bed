// How much is stored: nodes per label and relationships per type.
RETURN
  COUNT { MATCH (:Model) } AS models,
  COUNT { MATCH (:Neuron) } AS neurons,
  COUNT { MATCH (:Activating) } AS activating,
  COUNT { MATCH (:Context) } AS context,
  COUNT { MATCH (:Ignore) } AS ignore,
  COUNT { MATCH (:End) } AS end_nodes,
  COUNT { MATCH (:Token) } AS tokens,
  COUNT { MATCH (:Example) } AS examples,
  COUNT { MATCH ()-[:HAS_NEURON]->() } AS has_neuron,
  COUNT { MATCH ()-[:TRIE_ROOT]->() } AS trie_root,
  COUNT { MATCH ()-[:NEXT]->() } AS next,
  COUNT { MATCH ()-[:ACTIVATES_ON]->() } AS activates_on,
  COUNT { MATCH ()-[:HAS_CONTEXT]->() } AS has_context,
  COUNT { MATCH ()-[:HAS_EXAMPLE]->() } AS has_example
