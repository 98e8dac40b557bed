// The unit sets stored on unit $key's layer of its model, each with its unit count: '' for
// the MLP neurons, 'sae:NAME' / 'tc:NAME' for an SAE's or a transcoder's latents (units
// loaded before n2g named it `unit_set` hold it as `sae`). No row when $key is not stored.
// What `n2g split` compares a unit against, and how it tells "no latent shares a token"
// from a unit set the layer does not have.
// Parameters:
//   :param key => 'smollm2-135m/3/286'
MATCH (x:Neuron)
WHERE x.key = $key
WITH x.model AS model, x.layer AS layer
MATCH (n:Neuron)
WHERE n.model = model AND n.layer = layer
RETURN model, layer, coalesce(n.unit_set, n.sae, '') AS unit_set, count(n) AS units
ORDER BY unit_set
