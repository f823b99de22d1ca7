"""The ingestion doors: Segment HTTP API, CloudEvents 1.0 and the native JSON API, each a thin route that reads,
checks and maps a request into one ``events.schemas.Batch`` for the one ingestion path (``events.service``)."""
