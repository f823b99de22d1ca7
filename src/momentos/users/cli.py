"""``momentos user create EMAIL --org SLUG --role ROLE``: an account (or a new membership for an existing one);
``momentos user disable|enable EMAIL``: an account refused (its sessions ended at once) or allowed again. Every
change is in the audit log of the organizations concerned, by "command line".

The password is asked for twice at the prompt, or read from standard input with ``--password-stdin`` (one line),
never taken from the command line (it would show in the shell history and the process list).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from momentos.config import Settings
from momentos.db import make_engine, make_session_factory, unit_of_work
from momentos.errors import MomentosError
from momentos.kit.clock import utcnow
from momentos.orgs.cli import add_group
from momentos.users.roles import ROLES

user_app = typer.Typer(help="People who sign in to the pages.", no_args_is_help=True)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@user_app.command("create")
def create(email: str, org: Annotated[str, typer.Option(help="organization slug")],
           role: Annotated[str, typer.Option(help="owner | manager | analyst | agent")] = "owner",
           password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin")]
           = False,
           language: Annotated[str | None, typer.Option(help="es or en")] = None) -> None:
    """Create a user with a role in an organization; an existing user gets the role (password unchanged)."""
    from momentos.audit.service import Actor
    from momentos.orgs.service import get_organization
    from momentos.users import people
    from momentos.users import service as users

    if role not in ROLES:
        typer.echo(f"error: role must be one of {', '.join(ROLES)}", err=True)
        raise typer.Exit(2)
    factory = make_session_factory(make_engine(Settings().effective_database_url))
    try:
        with unit_of_work(factory) as session:
            organization = get_organization(session, org)
            user = users.get_user_by_email(session, email)
            created = user is None
            if user is None:
                user = users.create_user(session, email, _password(password_stdin), utcnow(),
                                         language if language in users.LANGUAGES else None)
            people.grant_role(session, organization.id, user, role, Actor.cli(), utcnow())
            address = user.email
    except MomentosError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{'created' if created else 'updated'} {address}: {role} of {org}")


def _switch(email: str, disable: bool) -> str:
    from momentos.audit.service import Actor
    from momentos.users import people

    engine = make_engine(Settings().effective_database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            if disable:
                user = people.disable_user(session, email, Actor.cli(), utcnow())
            else:
                user = people.enable_user(session, email, Actor.cli())
            return user.email
    except MomentosError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()


@user_app.command("disable")
def disable(email: str) -> None:
    """Refuse this account's sign-in and end its page sessions at once (in every organization)."""
    typer.echo(f"disabled {_switch(email, True)}")


@user_app.command("enable")
def enable(email: str) -> None:
    """Allow a disabled account to sign in again."""
    typer.echo(f"enabled {_switch(email, False)}")


def register(app: typer.Typer) -> None:
    add_group(app, user_app, "user")
