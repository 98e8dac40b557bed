// The database contract: uniqueness constraints (each also an index) and lookup indexes.
// Idempotent (IF NOT EXISTS): `n2g db init` and n2g-ingest apply it whenever it is missing.
// Runs on Neo4j 5.26 and on ArcadeDB. Statements end with ';'.
CREATE CONSTRAINT model_name IF NOT EXISTS FOR (m:Model) REQUIRE m.name IS UNIQUE;
CREATE CONSTRAINT neuron_key IF NOT EXISTS FOR (n:Neuron) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT activating_key IF NOT EXISTS FOR (t:Activating) REQUIRE t.key IS UNIQUE;
CREATE CONSTRAINT context_key IF NOT EXISTS FOR (t:Context) REQUIRE t.key IS UNIQUE;
CREATE CONSTRAINT ignore_key IF NOT EXISTS FOR (t:Ignore) REQUIRE t.key IS UNIQUE;
CREATE CONSTRAINT end_key IF NOT EXISTS FOR (t:End) REQUIRE t.key IS UNIQUE;
CREATE CONSTRAINT token_text IF NOT EXISTS FOR (t:Token) REQUIRE t.text IS UNIQUE;
CREATE CONSTRAINT example_key IF NOT EXISTS FOR (e:Example) REQUIRE e.key IS UNIQUE;
CREATE CONSTRAINT group_key IF NOT EXISTS FOR (g:Group) REQUIRE g.key IS UNIQUE;
// A neuron's whole trie by one indexed lookup per label (replace, render).
CREATE INDEX activating_neuron IF NOT EXISTS FOR (t:Activating) ON (t.neuron);
CREATE INDEX context_neuron IF NOT EXISTS FOR (t:Context) ON (t.neuron);
CREATE INDEX ignore_neuron IF NOT EXISTS FOR (t:Ignore) ON (t.neuron);
CREATE INDEX end_neuron IF NOT EXISTS FOR (t:End) ON (t.neuron);
// A unit's evidence by one indexed lookup (the service's unit page, replace).
CREATE INDEX example_neuron IF NOT EXISTS FOR (e:Example) ON (e.neuron);
// Neurons of a model layer; ranking by score.
CREATE INDEX neuron_model_layer IF NOT EXISTS FOR (n:Neuron) ON (n.model, n.layer);
CREATE INDEX neuron_f1 IF NOT EXISTS FOR (n:Neuron) ON (n.f1);
