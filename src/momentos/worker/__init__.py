"""The background worker: the loop (``loop``), the typed jobs it runs (``jobs``) and its heartbeats
(``heartbeats``). It imports no domain: the entry point hands it the jobs built by ``momentos.bootstrap``."""
