"""The native JSON door: ``POST /api/v1/events``."""
