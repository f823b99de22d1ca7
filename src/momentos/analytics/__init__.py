"""Indicators and process-mining views per moment, computed from the event log with Polars."""
