// After an ablation check: delete the measured FEEDS edges of a model whose zero- and
// mean-ablation effects are both smaller than $floor in size (the measurement says the
// feeder does not feed the unit); unmeasured edges stay. `n2g feeds --min-effect`.
// Parameters:
//   :param model => 'smollm2-135m'
//   :param floor => 0.01
MATCH (a:Neuron)-[r:FEEDS]->(:Neuron)
WHERE a.model = $model AND r.ablation_effect IS NOT NULL
  AND abs(r.ablation_effect) < $floor AND abs(coalesce(r.mean_ablation_effect, 0.0)) < $floor
DELETE r
RETURN count(*) AS dropped
