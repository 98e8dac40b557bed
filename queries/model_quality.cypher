// The quality of every model's graphs, per layer (and per SAE for latents): how many units,
// how many are scored, and the mean F1, correlation and out-of-distribution false-positive
// rate of N2G beside its two baselines (token lookup, n-gram). avg() and count() skip the
// units where a score is absent (undefined, or never computed), so each mean is over the
// units that have that score and the counts say how many those are. One scan of the
// (:Neuron) nodes; `n2g serve` keeps the answer in its cache.
// Parameters: none.
MATCH (n:Neuron)
WITH n.model AS model, coalesce(n.sae, '') AS sae, n.layer AS layer, n
RETURN model, sae, layer, count(n) AS units,
       count(n.f1) AS scored,
       avg(n.f1) AS f1_n2g,
       avg(n.token_lookup_f1) AS f1_token_lookup,
       avg(n.ngram_f1) AS f1_ngram,
       count(n.correlation_n2g) AS correlated,
       avg(n.correlation_n2g) AS correlation_n2g,
       avg(n.correlation_token_lookup) AS correlation_token_lookup,
       avg(n.correlation_ngram) AS correlation_ngram,
       count(n.ood_false_positive_rate) AS ood_checked,
       avg(n.ood_false_positive_rate) AS ood_fpr_n2g,
       avg(n.ood_token_lookup_false_positive_rate) AS ood_fpr_token_lookup,
       avg(n.ood_ngram_false_positive_rate) AS ood_fpr_ngram
ORDER BY model, sae, layer
