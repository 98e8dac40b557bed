// Find neurons like X: neurons scored as the paper compares neurons, on the activating-token
// and context-token sets, each overlap = |A∩B| / max(|A|,|B|) (two empty context sets count
// as 1.0); score = the smaller of the two, so score ≥ 0.9 is exactly the paper's "similar".
// The shared tokens explain the score. Only neurons with score ≥ $min_score are returned.
// Both sets hold only the tokens whose paths predict at least $level (0.5: firing; 0:
// every token of a graph; relationships stored without a level count as firing).
// Why it is fast: a neuron scoring ≥ s holds at least ⌈s·|A|⌉ of X's activating tokens, so
// it holds one of ANY |A| − ⌈s·|A|⌉ + 1 of them: we probe only X's rarest tokens (fewest
// neurons), and likewise its rarest context tokens. With $min_score = 0 every neuron that
// shares an activating token with X is scored. Candidates whose set sizes alone cap the
// score below $min_score (overlap ≤ min(|A|,|B|) / max(|A|,|B|)) are dropped before any
// token is compared; the sizes are the stored Neuron.n_activating_tokens and
// n_context_tokens at level 0, n_firing_activating_tokens and n_firing_context_tokens at
// the firing level ($firing), and counted from the edges at any other level or for
// neurons loaded before those existed.
// Parameters (model may be null = any model):
//   :param key => 'solu-6l-pile/1/2000'
//   :param model => null
//   :param min_score => 0.5
//   :param level => 0.5
//   :param firing => 0.5
//   :param limit => 10
MATCH (x:Neuron {key: $key})
WITH x,
     COLLECT { MATCH (x)-[a:ACTIVATES_ON]->(t:Token) WHERE a.activation >= $level
               RETURN t.text AS text ORDER BY count { (t)<-[:ACTIVATES_ON]-() }, text } AS xa,
     COLLECT { MATCH (x)-[c:HAS_CONTEXT]->(t:Token) WHERE coalesce(c.activation, 1.0) >= $level
               RETURN t.text AS text ORDER BY count { (t)<-[:HAS_CONTEXT]-() }, text } AS xc
WITH x, xa, xc,
     xa[0 .. size(xa) - toInteger(ceil($min_score * size(xa) - 0.000000001)) + 1] AS act_probe,
     xc[0 .. size(xc) - toInteger(ceil($min_score * size(xc) - 0.000000001)) + 1] AS ctx_probe
MATCH (t:Token)<-[ya_rel:ACTIVATES_ON]-(y:Neuron)
WHERE t.text IN act_probe AND y <> x AND ($model IS NULL OR y.model = $model)
  AND ya_rel.activation >= $level
WITH DISTINCT x, xa, xc, ctx_probe, y
WITH x, xa, xc, ctx_probe, y,
     CASE WHEN $level = 0 AND y.n_activating_tokens IS NOT NULL THEN y.n_activating_tokens
          WHEN $level = $firing AND y.n_firing_activating_tokens IS NOT NULL
          THEN y.n_firing_activating_tokens
          ELSE count { MATCH (y)-[a:ACTIVATES_ON]->(:Token) WHERE a.activation >= $level }
     END AS ya,
     CASE WHEN $level = 0 AND y.n_context_tokens IS NOT NULL THEN y.n_context_tokens
          WHEN $level = $firing AND y.n_firing_context_tokens IS NOT NULL
          THEN y.n_firing_context_tokens
          ELSE count { MATCH (y)-[c:HAS_CONTEXT]->(:Token)
                       WHERE coalesce(c.activation, 1.0) >= $level }
     END AS yc
WHERE (CASE WHEN size(xa) < ya THEN toFloat(size(xa)) / ya ELSE toFloat(ya) / size(xa) END)
        >= $min_score
  AND (size(xc) = yc
       OR (CASE WHEN size(xc) < yc THEN toFloat(size(xc)) / yc ELSE toFloat(yc) / size(xc) END)
          >= $min_score)
WITH x, xa, xc, ctx_probe, y, ya, yc
WHERE $min_score = 0
   OR (size(xc) = 0 AND yc = 0)
   OR EXISTS { MATCH (y)-[r:HAS_CONTEXT]->(c:Token)
               WHERE c.text IN ctx_probe AND coalesce(r.activation, 1.0) >= $level }
WITH y, xa, xc, ya, yc,
     COLLECT { MATCH (y)-[a:ACTIVATES_ON]->(t:Token)
               WHERE t.text IN xa AND a.activation >= $level RETURN t.text }
       AS shared_activating,
     COLLECT { MATCH (y)-[c:HAS_CONTEXT]->(t:Token)
               WHERE t.text IN xc AND coalesce(c.activation, 1.0) >= $level RETURN t.text }
       AS shared_context
WITH y, shared_activating, shared_context,
     toFloat(size(shared_activating)) / CASE WHEN size(xa) > ya THEN size(xa) ELSE ya END
       AS activating_overlap,
     CASE WHEN size(xc) = 0 AND yc = 0 THEN 1.0
          ELSE toFloat(size(shared_context)) / CASE WHEN size(xc) > yc THEN size(xc) ELSE yc END
     END AS context_overlap
WITH y, shared_activating, shared_context, activating_overlap, context_overlap,
     CASE WHEN activating_overlap < context_overlap THEN activating_overlap
          ELSE context_overlap END AS score
WHERE score >= $min_score
RETURN y.key AS key, y.model AS model, y.layer AS layer, y.index AS index, score,
       activating_overlap, context_overlap, shared_activating, shared_context
ORDER BY score DESC, activating_overlap DESC, key
LIMIT $limit
