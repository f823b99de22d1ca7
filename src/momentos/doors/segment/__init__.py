"""The Segment HTTP API door (also RudderStack SDKs): message mapping and routes."""
