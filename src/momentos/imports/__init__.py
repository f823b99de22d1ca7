"""File imports of event logs (CSV, XES): readers, the streaming and bulk roads, the import history and the
``momentos import`` command. Everything ends in the one ingestion path (``events.service``)."""
