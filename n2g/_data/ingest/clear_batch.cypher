// Delete up to $limit nodes (with their relationships); run until it returns 0.
MATCH (node)
WITH node LIMIT $limit
DETACH DELETE node
RETURN count(*) AS deleted
