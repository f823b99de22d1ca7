"""Listening: surveys at moments, feedback from every source, offline text analysis, needs, early warning."""
