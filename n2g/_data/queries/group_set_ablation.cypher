// Store on a group what ablating all its members together did to the model's next-token
// loss (n2g ablate --group; n2g.search.group_ablation): the whole result as JSON text
// (`ablation`), and beside it the loss change on the texts where the members fire, on
// control texts, and the share of random sets of the same layers it exceeds.
// Parameters:
//   :param key => 'smollm2-135m:c2:smollm2-135m/1/964'
//   :param ablation => '{"model": "smollm2-135m", "units": [], "mode": "zero"}'
//   :param firing => 0.12
//   :param control => 0.01
//   :param above_random => 0.9
MATCH (g:Group) WHERE g.key = $key
SET g.ablation = $ablation, g.ablation_firing = $firing, g.ablation_control = $control,
    g.ablation_above_random = $above_random
RETURN g.key AS key
