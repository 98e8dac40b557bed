// The tokens every member of a group shares: activating tokens and context tokens that all
// `size` members of the group have (the first $max_tokens of each, in text order), for the
// groups listed by groups_list.cypher; only the tokens whose paths predict at least $level.
// Parameters:
//   :param keys => ['solu-6l-pile:group:solu-6l-pile/1/2000']
//   :param max_tokens => 20
//   :param level => 0.5
MATCH (g:Group)
WHERE g.key IN $keys
RETURN g.key AS key,
       COLLECT { MATCH (g)-[:HAS_MEMBER]->(n:Neuron)
                 MATCH (n)-[a:ACTIVATES_ON]->(t:Token) WHERE a.activation >= $level
                 WITH g, t.text AS text, count(n) AS members
                 WHERE members = g.size
                 RETURN text ORDER BY text LIMIT $max_tokens } AS activating,
       COLLECT { MATCH (g)-[:HAS_MEMBER]->(n:Neuron)
                 MATCH (n)-[c:HAS_CONTEXT]->(t:Token)
                 WHERE coalesce(c.activation, 1.0) >= $level
                 WITH g, t.text AS text, count(n) AS members
                 WHERE members = g.size
                 RETURN text ORDER BY text LIMIT $max_tokens } AS context
