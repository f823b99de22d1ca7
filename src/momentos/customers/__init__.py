"""Customers: identity, traits, language, time zone, preferred channels, consents, erasure."""
