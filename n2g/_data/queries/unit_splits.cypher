// Neurons against the SAE and transcoder latents of their layer (the superposition
// question): for unit $key, the units of the same model and layer in another unit set that
// share an activating token with it, each with the paper's overlaps, |A∩B| / max(|A|,|B|),
// on activating tokens and on context tokens (two empty context sets count as 1.0), the
// shared tokens, and `containment`: the share of the latent's activating tokens that are
// the neuron's (for a neuron $key: the other unit's tokens inside $key's; for a latent
// $key: its own tokens inside the other unit's). A latent lies `inside` a neuron when its
// containment is ≥ $min_inside: a neuron with several latents inside it is split into them.
// Compared: the units of unit set $unit_set ('sae:NAME' or 'tc:NAME'); null: the other kind
// of unit of the layer (every SAE's and transcoder's latents for a neuron, the MLP neurons
// for a latent). Tokens count from $level (0.5: firing; 0: every token of a graph).
// Ranked: the units inside first (`inside` 1, else 0), most overlapping first (so the
// latents covering most of the neuron lead), then the rest by overlap; ties by
// containment, then key.
// Units loaded before n2g named it `unit_set` hold it as `sae`.
// Parameters:
//   :param key => 'smollm2-135m/3/286'
//   :param unit_set => null
//   :param level => 0.5
//   :param min_inside => 0.8
//   :param limit => 25
MATCH (x:Neuron)
WHERE x.key = $key
WITH x, coalesce(x.unit_set, x.sae, '') AS x_set,
     COLLECT { MATCH (x)-[a:ACTIVATES_ON]->(t:Token) WHERE a.activation >= $level
               RETURN t.text } AS xa,
     COLLECT { MATCH (x)-[c:HAS_CONTEXT]->(t:Token) WHERE coalesce(c.activation, 1.0) >= $level
               RETURN t.text } AS xc
MATCH (t:Token)<-[r:ACTIVATES_ON]-(y:Neuron)
WHERE t.text IN xa AND r.activation >= $level AND y.model = x.model AND y.layer = x.layer
  AND y <> x
WITH DISTINCT x_set, xa, xc, y, coalesce(y.unit_set, y.sae, '') AS y_set
WHERE CASE WHEN $unit_set IS NULL THEN (x_set = '' AND y_set <> '') OR (x_set <> '' AND y_set = '')
           ELSE y_set = $unit_set END
WITH x_set, xa, xc, y, y_set,
     COLLECT { MATCH (y)-[a:ACTIVATES_ON]->(t:Token) WHERE a.activation >= $level
               RETURN t.text } AS ya,
     COLLECT { MATCH (y)-[c:HAS_CONTEXT]->(t:Token) WHERE coalesce(c.activation, 1.0) >= $level
               RETURN t.text } AS yc
WITH x_set, xa, xc, y, y_set, ya, yc,
     [text IN ya WHERE text IN xa] AS shared_activating,
     [text IN yc WHERE text IN xc] AS shared_context
WITH y, y_set, shared_activating, shared_context,
     toFloat(size(shared_activating)) / CASE WHEN size(xa) > size(ya) THEN size(xa)
                                            ELSE size(ya) END AS activating_overlap,
     CASE WHEN size(xc) = 0 AND size(yc) = 0 THEN 1.0
          ELSE toFloat(size(shared_context)) / CASE WHEN size(xc) > size(yc) THEN size(xc)
                                                   ELSE size(yc) END
     END AS context_overlap,
     toFloat(size(shared_activating)) / CASE WHEN x_set = '' THEN size(ya) ELSE size(xa) END
       AS containment
WITH y, y_set, shared_activating, shared_context, activating_overlap, context_overlap,
     containment, CASE WHEN containment >= $min_inside THEN 1 ELSE 0 END AS inside
RETURN y.key AS key, y.model AS model, y.layer AS layer, y.index AS index,
       CASE WHEN y_set = '' THEN null ELSE y_set END AS unit_set, y.f1 AS f1,
       activating_overlap, context_overlap, containment, inside,
       shared_activating, shared_context
ORDER BY inside DESC, activating_overlap DESC, containment DESC, key
LIMIT $limit
