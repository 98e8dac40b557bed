// Make sure each model exists. $names: [model name].
UNWIND $names AS name
MERGE (:Model {name: name})
