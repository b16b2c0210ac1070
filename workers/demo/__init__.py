"""`lawful demo`: the whole product on the embedded default (emulated org, Tansu, Redis)."""
