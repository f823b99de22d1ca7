"""What the domain commands share: one transaction on the configured database, scoped to an organization."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy.orm import Session


@contextmanager
def org_session(slug: str) -> Iterator[tuple[Session, int]]:
    """A session (committed on success) and the id of the organization ``slug``; a domain error (an unknown
    organization included) prints ``error: …`` and exits with status 2."""
    from momentos.config import Settings
    from momentos.db import make_engine, make_session_factory, unit_of_work
    from momentos.errors import MomentosError
    from momentos.orgs.service import get_organization

    settings = Settings()
    engine = make_engine(settings.effective_database_url)
    try:
        with unit_of_work(make_session_factory(engine, settings.secret_key)) as session:
            yield session, get_organization(session, slug).id
    except MomentosError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()
