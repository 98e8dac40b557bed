// The tokens every member of a group shares: activating tokens and context tokens that all
// `size` members of the group have (the first $max_tokens of each, in text order), for the
// groups listed by groups_list.cypher.
// Parameters:
//   :param keys => ['solu-6l-pile:group:solu-6l-pile/1/2000']
//   :param max_tokens => 20
MATCH (g:NeuronGroup)
WHERE g.key IN $keys
RETURN g.key AS key,
       COLLECT { MATCH (n:Neuron)-[:MEMBER_OF]->(g)
                 MATCH (n)-[:ACTIVATES_ON]->(t:Token)
                 WITH g, t.text AS text, count(n) AS members
                 WHERE members = g.size
                 RETURN text ORDER BY text LIMIT $max_tokens } AS activating,
       COLLECT { MATCH (n:Neuron)-[:MEMBER_OF]->(g)
                 MATCH (n)-[:HAS_CONTEXT]->(t:Token)
                 WITH g, t.text AS text, count(n) AS members
                 WHERE members = g.size
                 RETURN text ORDER BY text LIMIT $max_tokens } AS context
