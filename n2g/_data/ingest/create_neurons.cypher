// Lookups use WHERE x.key = value, not {key: value}: ArcadeDB reads a string value such
// as "$rows" inside a pattern map as a parameter reference (see schema/README.md).
// Create whole neurons, one parameter row each (their old versions were deleted first):
// the neuron, its trie nodes, the trie's edges and the derived token edges, in one statement.
// The properties of every node come whole from the row (SET x = map), built by the one
// graph <-> database mapping, n2g/db/mapping.py: no property is named here. Only the
// labels are, one CREATE per label, as a label cannot be a parameter.
// $rows: [{model, props: {the (:Neuron) properties: key, model, layer, index, a_max, ...},
//          activating, context, ignore, end: [{the trie-node properties: key, neuron, id, ...}],
//          next: [[parent position, child position]] (positions in activating+context+ignore+end),
//          activates_on: [{text, activation, alone, firsts}], has_context: [{text, importance, activation}],
//          examples: [{the (:Example) properties: key, neuron, split, rank, tokens, ...}]}]
// The Model and Token nodes exist already (merge_models, merge_tokens).
UNWIND $rows AS g
MATCH (model:Model)
WHERE model.name = g.model
CREATE (model)-[:HAS_NEURON]->(neuron:Neuron)
SET neuron = g.props
WITH neuron, g
CALL (neuron, g) {
  UNWIND g.activating AS t
  CREATE (neuron)-[:TRIE_ROOT]->(x:Activating)
  SET x = t
  RETURN collect(x) AS activating
}
CALL (g) {
  UNWIND g.context AS t
  CREATE (x:Context)
  SET x = t
  RETURN collect(x) AS context
}
CALL (g) {
  UNWIND g.ignore AS t
  CREATE (x:Ignore)
  SET x = t
  RETURN collect(x) AS ignore
}
CALL (g) {
  UNWIND g.end AS t
  CREATE (x:End)
  SET x = t
  RETURN collect(x) AS ends
}
CALL (neuron, g) {
  UNWIND g.activates_on AS t
  MATCH (token:Token)
  WHERE token.text = t.text
  CREATE (neuron)-[:ACTIVATES_ON {activation: t.activation, alone: t.alone, firsts: t.firsts}]->(token)
}
CALL (neuron, g) {
  UNWIND g.has_context AS t
  MATCH (token:Token)
  WHERE token.text = t.text
  CREATE (neuron)-[:HAS_CONTEXT {importance: t.importance, activation: t.activation}]->(token)
}
CALL (neuron, g) {
  UNWIND g.examples AS t
  CREATE (neuron)-[:HAS_EXAMPLE]->(x:Example)
  SET x = t
}
WITH g, activating + context + ignore + ends AS trie
UNWIND g.next AS edge
WITH trie[edge[0]] AS parent, trie[edge[1]] AS child
CREATE (parent)-[:NEXT]->(child)
RETURN count(*) AS next
