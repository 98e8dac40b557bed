// Is a group with this key stored? (one indexed lookup)
// Parameters:
//   :param key => 'solu-6l-pile:c1:solu-6l-pile/1/2000'
MATCH (g:Group) WHERE g.key = $key
RETURN g.key AS key, g.level AS level
LIMIT 1
