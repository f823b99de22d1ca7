"""Surveys: definitions, invitations, answers and their indicators (NPS, CSAT, CES, perception)."""
