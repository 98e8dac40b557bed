// Delete the tokens among $texts that no neuron links to any more. $texts: [token text]
UNWIND $texts AS text
MATCH (token:Token)
WHERE token.text = text AND NOT EXISTS { (token)--() }
DELETE token
