// Write groups of one scope with their HAS_MEMBER links: level 0 = the paper's groups
// (connected components of SIMILAR_TO at `threshold`), levels 1.. = communities of the
// weighted similarity graph (edges scoring >= `threshold`, the floor), finest first, each
// with its modularity `resolution` and the key of the group one level up (`parent`;
// groups_link_parents.cypher draws the PART_OF relationships). `label`: the activating
// tokens most members fire on.
// Parameters:
//   :param groups => [{key: 'm:group:m/1/5', model: 'm', method: 'components', level: 0, size: 2, layers: [1, 4], threshold: 0.9, resolution: null, label: '`x` 2/2', parent: null, members: ['m/1/5', 'm/4/9']}]
UNWIND $groups AS g
CREATE (ng:Group {key: g.key, model: g.model, method: g.method, level: g.level,
                  size: g.size, layers: g.layers, threshold: g.threshold,
                  resolution: g.resolution, label: g.label, parent: g.parent})
WITH ng, g
UNWIND g.members AS member
MATCH (n:Neuron) WHERE n.key = member
CREATE (ng)-[:HAS_MEMBER]->(n)
RETURN count(*) AS written
