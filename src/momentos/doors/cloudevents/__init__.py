"""The CloudEvents 1.0 door (HTTP binding, JSON format): mapping and routes."""
