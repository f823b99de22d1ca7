"""Needs: themes of analysed feedback, kept across refreshes, ranked and explained."""
