"""Notifications through a transactional outbox: rows written with their cause, delivered by workers."""
