"""The audit log: ``record`` a change (who, what, before/after) and read an organization's entries."""
