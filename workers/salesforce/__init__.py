"""Salesforce adapters: OAuth (JWT/password), REST over simple-salesforce, CometD streaming."""
