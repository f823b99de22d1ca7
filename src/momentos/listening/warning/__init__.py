"""Early warning of crises: the detector on hourly series and the per-organization watch."""
