// Candidate neurons for "which neurons fire on this text": those that activate on at
// least one of the text's tokens (an index lookup; their tries then predict exactly).
// $tokens holds the text's tokens as they are and folded (n2g.graph.token_fold): graphs
// built with token folding name their token nodes by the folded text.
// Parameters:
//   :param tokens => [' The', ' cat', ' sat', 'the', 'cat', 'sat']
//   :param model => 'solu-6l-pile'
MATCH (t:Token)<-[:ACTIVATES_ON]-(n:Neuron)
WHERE t.text IN $tokens AND n.model = $model
RETURN DISTINCT n.key AS key
