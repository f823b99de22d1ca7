"""Data assembly for the dashboard pages: overview, the living journey map and its drill-downs, customer view."""
