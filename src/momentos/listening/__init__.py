"""Listening: surveys, feedback from every source, text analysis and early warning of crises."""
