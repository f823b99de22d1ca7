"""What the domain commands share (one transaction on the configured database, scoped to an organization) and
``momentos keys list|create|revoke|rotate --org SLUG``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from momentos.orgs.schemas import MAX_GRACE_SECONDS


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


Org = Annotated[str, typer.Option("--org", help="Slug of the organization.")]
"""The ``--org SLUG`` option of every domain command."""


def add_group(app: typer.Typer, group: typer.Typer, name: str) -> bool:
    """Add the command group ``group`` to ``app`` as ``name``, once; False when it was there already."""
    if any(registered.name == name for registered in app.registered_groups):
        return False
    app.add_typer(group, name=name)
    return True


keys_app = typer.Typer(help="An organization's API keys: list, create, revoke, rotate.", no_args_is_help=True)
KeyId = Annotated[int, typer.Argument(help="The key's id (see `momentos keys list`).", min=1, max=2**63 - 1)]


def register(app: typer.Typer) -> None:
    add_group(app, keys_app, "keys")


def _echo(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


@keys_app.command("list")
def list_command(org: Org) -> None:
    """Every key with its id, kind, name, prefix, creation and state (revoked, expiring, expired); never a secret."""
    from momentos.kit.clock import utcnow
    from momentos.orgs import keys

    with org_session(org) as (session, org_id):
        now = utcnow()
        _echo([keys.key_read(k, now).model_dump(mode="json") for k in keys.list_keys(session, org_id)])


@keys_app.command("create")
def create_command(org: Org, kind: Annotated[str, typer.Option(help="write | admin")],
                   name: Annotated[str, typer.Option(help="What the key is for.")] = "") -> None:
    """A new key: prints JSON with its ``id`` and the secret ``key``, shown this once."""
    from pydantic import ValidationError

    from momentos.audit.service import Actor
    from momentos.kit.clock import utcnow
    from momentos.orgs import keys
    from momentos.orgs.schemas import KeyCreate

    try:
        data = KeyCreate.model_validate({"kind": kind, "name": name})
    except ValidationError as exc:
        typer.echo(f"error: {'.'.join(map(str, exc.errors()[0]['loc']))}: {exc.errors()[0]['msg']}", err=True)
        raise typer.Exit(2) from exc
    with org_session(org) as (session, org_id):
        now = utcnow()
        key, secret = keys.create_key(session, org_id, data, Actor.cli(), now)
        _echo({**keys.key_read(key, now).model_dump(mode="json"), "key": secret})


@keys_app.command("revoke")
def revoke_command(org: Org, key_id: KeyId) -> None:
    """Revoke a key: refused from the next request on, page sessions opened with it included."""
    from momentos.audit.service import Actor
    from momentos.kit.clock import utcnow
    from momentos.orgs import keys

    with org_session(org) as (session, org_id):
        now = utcnow()
        _echo(keys.key_read(keys.revoke_key(session, org_id, key_id, Actor.cli(), now), now).model_dump(mode="json"))


@keys_app.command("rotate")
def rotate_command(org: Org, key_id: KeyId,
                   grace_hours: Annotated[float, typer.Option(help="How long the old key keeps working.", min=0,
                                                              max=MAX_GRACE_SECONDS / 3600)] = 0) -> None:
    """A new key of the same kind (its secret printed once); the old one ends after the grace period."""
    from momentos.audit.service import Actor
    from momentos.kit.clock import utcnow
    from momentos.orgs import keys

    with org_session(org) as (session, org_id):
        now = utcnow()
        fresh, secret, old = keys.rotate_key(session, org_id, key_id, round(grace_hours * 3600), Actor.cli(), now)
        _echo({**keys.key_read(fresh, now).model_dump(mode="json"), "key": secret,
               "replaces": keys.key_read(old, now).model_dump(mode="json")})
