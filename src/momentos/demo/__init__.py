"""The demo organization: three services across the contact levels, customers and simulated journeys."""
