// The FEEDS edges into or out of the neurons in $keys (read before they are replaced, so
// that n2g-ingest can put back those still sound: n2g/db/kept_feeds.py). An edge between
// two of them comes once per end. $keys: [neuron key]
UNWIND $keys AS neuron_key
MATCH (a:Neuron)-[r:FEEDS]->(b:Neuron)
WHERE a.key = neuron_key OR b.key = neuron_key
RETURN a.key AS source, b.key AS target, r.source AS kind, r.weight AS weight,
       r.virtual_weight AS virtual_weight, r.rank AS rank,
       r.ablation_effect AS ablation_effect, r.mean_ablation_effect AS mean_ablation_effect
