"""Redis projection of lawful.permissions.v1 (one document per person) and its search indexes."""
