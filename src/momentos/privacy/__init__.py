"""Privacy: erasure of a customer across every domain (and, with it, what a replay must not bring back)."""
