// Store on a model the main job's check of its relations against the model (JSON text:
// per category of pairs, e.g. similar@0.9 or random, the count and the median and mean r
// on random windows and on top windows; n2g.run.coactivation). Shown on the compare page.
// Parameters:
//   :param model => 'smollm2-135m'
//   :param summary => '{"thresholds": [0.9], "random_windows": [], "top_windows": []}'
MATCH (m:Model) WHERE m.name = $model
SET m.coactivation = $summary
RETURN count(*) AS written
