// The last `n2g similar` run recorded on model $model (queries/similarity_record_run.cypher):
// its threshold, level and scope; nulls when none is recorded (similarity never computed
// for the model, or computed before runs were recorded). No row when the model is not stored.
// Parameters:
//   :param model => 'solu-6l-pile'
MATCH (m:Model)
WHERE m.name = $model
RETURN m.similarity_threshold AS threshold, m.similarity_level AS level,
       m.similarity_scope AS scope
