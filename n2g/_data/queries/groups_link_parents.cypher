// Nest the communities: (child)-[:PART_OF]->(parent) for the groups of one scope whose
// `parent` property names the group one level up that holds all their members.
// Parameters:
//   :param model => 'solu-6l-pile'
MATCH (child:Group)
WHERE child.model = $model AND child.parent IS NOT NULL
MATCH (parent:Group) WHERE parent.key = child.parent
CREATE (child)-[:PART_OF]->(parent)
RETURN count(*) AS linked
