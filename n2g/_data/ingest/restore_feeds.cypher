// Put back FEEDS edges of replaced neurons (n2g/db/kept_feeds.py), every property as it
// was; an edge whose ends are not both stored is skipped.
// $edges: [{source, target, kind, weight, virtual_weight, rank, ablation_effect, mean_ablation_effect}]
UNWIND $edges AS e
MATCH (a:Neuron) WHERE a.key = e.source
MATCH (b:Neuron) WHERE b.key = e.target
CREATE (a)-[:FEEDS {source: e.kind, weight: e.weight, virtual_weight: e.virtual_weight,
                    rank: e.rank, ablation_effect: e.ablation_effect,
                    mean_ablation_effect: e.mean_ablation_effect}]->(b)
RETURN count(*) AS restored
