// The quality of every model's graphs, per layer and unit set (an SAE's or a transcoder's
// latents; '' for the layer's MLP neurons) and per scoring method: how many units, how
// many are scored, and the mean F1, correlation and out-of-distribution false-positive
// rate of N2G and of each baseline (token lookup, n-gram, ...: one row each). avg() and
// count() skip the units where a score is absent (undefined, or never computed), so each
// mean is over the units that have that score and the counts say how many those are. One
// scan of the (:Neuron) nodes; `n2g serve` keeps the answer in its cache. Units loaded
// before the property was named `unit_set` (graph format 3) hold it as `n.sae`: they are
// counted in their unit set until the next n2g-ingest rewrites them.
// Parameters: $methods, one map per method naming its properties
// (n2g.db.mapping.QUALITY_COLUMNS), e.g.
//   :param methods => [{method: 'n2g', f1: 'f1', correlation: 'correlation_n2g', ood_fpr: 'ood_false_positive_rate'}, {method: 'token_lookup', f1: 'token_lookup_f1', correlation: 'correlation_token_lookup', ood_fpr: 'ood_token_lookup_false_positive_rate'}]
MATCH (n:Neuron)
UNWIND $methods AS m
WITH n.model AS model, coalesce(n.unit_set, n.sae, '') AS unit_set, n.layer AS layer,
     m.method AS method,
     n, n[m.f1] AS f1, n[m.correlation] AS correlation, n[m.ood_fpr] AS ood_fpr
RETURN model, unit_set, layer, method, count(n) AS units,
       count(n.f1) AS scored,
       avg(f1) AS f1,
       count(n.correlation_n2g) AS correlated,
       avg(correlation) AS correlation,
       count(n.ood_false_positive_rate) AS ood_checked,
       avg(ood_fpr) AS ood_fpr
ORDER BY model, unit_set, layer, method
