"""Services, contact levels, journey models, moments and touchpoints."""
