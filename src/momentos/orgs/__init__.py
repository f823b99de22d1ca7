"""Organizations (tenants) and their API keys."""
