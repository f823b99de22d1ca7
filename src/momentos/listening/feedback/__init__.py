"""Feedback from other sources (complaints, reviews, social mentions): storage, CSV import and its commands."""
