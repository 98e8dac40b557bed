// The stored latents of some unit sets, of every model (`n2g feeds --sae/--transcoder`
// links one model's; another model's holding them tells the user which model they are
// of): model, unit set, layer (the hook's block) and index, in key order.
// Parameters:
//   :param unit_sets => ['sae:L3-tc-8x', 'tc:L3-tc-8x']
MATCH (n:Neuron)
WHERE coalesce(n.unit_set, n.sae) IN $unit_sets
RETURN n.model AS model, coalesce(n.unit_set, n.sae) AS unit_set, n.layer AS layer, n.index AS index
ORDER BY model, unit_set, index
