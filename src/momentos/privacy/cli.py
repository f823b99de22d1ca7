"""``momentos customers export|erase ID --org SLUG``: the same services and JSON shape as the API."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from momentos.orgs.cli import Org, add_group, org_session

customers_app = typer.Typer(help="A customer's data: export it whole, or erase it.", no_args_is_help=True)

CustomerId = Annotated[str, typer.Argument(help="The customer's external id.")]


def register(app: typer.Typer) -> None:
    add_group(app, customers_app, "customers")


@customers_app.command("export")
def export_command(org: Org, customer: CustomerId) -> None:
    """Print everything stored about the customer as one JSON document (recorded in the audit log)."""
    from pydantic_core import to_jsonable_python

    from momentos.audit.service import Actor
    from momentos.privacy import export

    with org_session(org) as (session, org_id):
        doc = export.export_customer(session, org_id, customer, Actor.cli())
    typer.echo(json.dumps(to_jsonable_python(doc), indent=2, ensure_ascii=False))


@customers_app.command("erase")
def erase_command(org: Org, customer: CustomerId) -> None:
    """Erase the customer everywhere; their id is kept only as a digest, so they do not come back."""
    from momentos.audit.service import Actor
    from momentos.privacy import service as privacy

    with org_session(org) as (session, org_id):
        removed = privacy.erase_customer(session, org_id, customer, Actor.cli())
    typer.echo(json.dumps({"erased": True, "removed": removed}, indent=2))
