// Remove the neuron groups of one scope (a model, or models joined by '+'), with their
// MEMBER_OF relationships, before writing fresh ones (same transaction).
// Parameters:
//   :param model => 'solu-6l-pile'
MATCH (g:NeuronGroup {model: $model})
DETACH DELETE g
RETURN count(*) AS deleted
