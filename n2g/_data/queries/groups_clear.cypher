// Remove the groups of one scope (a model, or models joined by '+'), with their
// relationships, before writing fresh ones (same transaction). Stores written before
// groups had levels held them as (:NeuronGroup): those go too.
// Parameters:
//   :param model => 'solu-6l-pile'
CALL () {
  MATCH (g:Group) WHERE g.model = $model
  DETACH DELETE g
}
CALL () {
  MATCH (g:NeuronGroup) WHERE g.model = $model
  DETACH DELETE g
}
RETURN 1 AS cleared
