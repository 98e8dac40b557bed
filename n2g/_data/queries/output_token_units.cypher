// Units whose write direction promotes $token most (with $suppressed: suppresses it most),
// read off the output tokens stored on each unit (n2g.models.logit_lens: its write
// direction through the unembedding, the k strongest each way). `rank` is the token's
// place among the unit's (0: its strongest), `logit` what one unit of activation adds to
// the token's logit on the direct path. Strongest effect first (the largest logit, or the
// most negative with $suppressed), then by key.
// Parameters (model and layer may be null = any):
//   :param token => ' import'
//   :param suppressed => false
//   :param model => 'smollm2-135m'
//   :param layer => null
//   :param limit => 25
MATCH (n:Neuron)
WHERE ($model IS NULL OR n.model = $model) AND ($layer IS NULL OR n.layer = $layer)
WITH n,
     CASE WHEN $suppressed THEN n.suppresses ELSE n.promotes END AS tokens,
     CASE WHEN $suppressed THEN n.suppress_logits ELSE n.promote_logits END AS logits
WHERE tokens IS NOT NULL AND $token IN tokens
WITH n, logits, [i IN range(0, size(tokens) - 1) WHERE tokens[i] = $token][0] AS rank
WITH n, rank, logits[rank] AS logit
RETURN n.key AS key, n.model AS model, n.layer AS layer, n.index AS index,
       rank, logit, n.label AS label, n.f1 AS f1
ORDER BY CASE WHEN $suppressed THEN logit ELSE -logit END, key
LIMIT $limit
