"""Who is calling: API keys for machines (users and roles come with the dashboard)."""
