"""Listening: surveys, feedback from every source, text analysis, needs and early warning of crises.

Subpackages, each with the same files where it has them (``service``, ``schemas``, ``api``, ``cli``), from the
lowest up; a subpackage imports only the ones below it, never sideways or upwards:

- ``analysis``: the offline text analysis (language, sentiment, themes; ``__init__``), an organization's
  analysis state (``service``: its listening settings row, the queue of texts to analyse), the background
  ``job`` and the organization's sentiment ``adapter``; the ``analyze`` command (``cli``).
- ``feedback``: feedback from other sources (complaints, reviews, mentions), its CSV import and the ``import`` and
  ``reanalyze`` commands. Imports ``analysis``.
- ``surveys``: definitions, invitations, answers (stored as feedback) and the indicators. Imports ``feedback``.
- ``needs``: themes of analysed feedback, kept and ranked. Imports ``analysis``.
- ``warning``: early warning of crises and the listening settings routes. Imports ``analysis``.

``surveys``, ``needs`` and ``warning`` are independent of each other. Above them: ``api`` installs the routers of
the subpackages, ``cli`` assembles the ``feedback`` command group, ``tasks`` holds the worker's listening jobs.
"""
