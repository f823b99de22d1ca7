"""Momentos: manage the moments of contact between a company and its customers."""

__version__ = "0.1.0"
