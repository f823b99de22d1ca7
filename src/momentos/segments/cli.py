"""``momentos segments define|list|members|delete``: the same services and JSON shapes as the API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from momentos.orgs.cli import Org, add_group, org_session

segments_app = typer.Typer(help="Customer segments: define them, list them, see who belongs.", no_args_is_help=True)

Key = Annotated[str, typer.Argument(help="The segment's key.")]


def register(app: typer.Typer) -> None:
    add_group(app, segments_app, "segments")


def _create_model(path: Path) -> Any:
    from pydantic import ValidationError

    from momentos.segments.schemas import SegmentCreate

    try:
        return SegmentCreate.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        if isinstance(exc, ValidationError):
            first = exc.errors()[0]
            reason = f"{'.'.join(str(x) for x in first['loc'])}: {first['msg']}"
        else:
            reason = str(exc)
        typer.echo(f"error: {path}: {reason}", err=True)
        raise typer.Exit(2) from exc


def _echo(value: Any) -> None:
    typer.echo(json.dumps(value.model_dump(mode="json"), indent=2, ensure_ascii=False))


@segments_app.command("define")
def define(org: Org, file: Annotated[Path, typer.Argument(help="JSON file: the segment (the API's body).",
                                                          exists=True, dir_okay=False)]) -> None:
    """Define a segment: key, names in es/en and a rule (conditions on customer attributes, all met)."""
    from momentos.audit.service import Actor
    from momentos.kit.clock import utcnow
    from momentos.segments import service as segments
    from momentos.segments.schemas import SegmentRead

    data = _create_model(file)
    with org_session(org) as (session, org_id):
        _echo(SegmentRead.model_validate(segments.create_segment(session, org_id, data, utcnow(), actor=Actor.cli())))


@segments_app.command("list")
def list_command(org: Org) -> None:
    """The organization's segments with their member counts."""
    from momentos.segments import service as segments

    with org_session(org) as (session, org_id):
        rows = [(s.key, segments.count_members(session, org_id, s), s.name_en)
                for s in segments.list_segments(session, org_id)]
    for key, count, name in rows:
        typer.echo(f"{key}  {count}  {name}")


@segments_app.command("members")
def members(org: Org, key: Key, limit: Annotated[int, typer.Option("--limit", min=0, max=500)] = 20) -> None:
    """How many customers belong now, and the first of them (JSON, the API's shape)."""
    from momentos.segments import service as segments
    from momentos.segments.schemas import MemberRead, SegmentMembers

    with org_session(org) as (session, org_id):
        segment = segments.get_segment(session, org_id, key)
        found = SegmentMembers(key=segment.key, count=segments.count_members(session, org_id, segment),
                               members=[MemberRead.model_validate(c)
                                        for c in segments.preview(session, org_id, segment, limit)])
    _echo(found)


@segments_app.command("delete")
def delete(org: Org, key: Key) -> None:
    """Remove a segment (its customers are not touched)."""
    from momentos.audit.service import Actor
    from momentos.segments import service as segments

    with org_session(org) as (session, org_id):
        segments.delete_segment(session, org_id, key, actor=Actor.cli())
    typer.echo(f"deleted {key}", err=True)
