"""Operations: the health of an organization's background work (read from the heartbeats of ``momentos.worker``)."""
