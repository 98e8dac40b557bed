// Shared token nodes, one per exact token text. $texts: [token text] (distinct).
UNWIND $texts AS text
MERGE (:Token {text: text})
