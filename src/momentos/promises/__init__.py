"""Promises: expectations set in advance, measured on a clock, recovered when broken."""
