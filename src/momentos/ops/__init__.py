"""Operations: worker heartbeats and the health of an organization's background work."""
