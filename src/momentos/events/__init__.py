"""Events: ingestion (one service path, several doors), storage and timelines."""
