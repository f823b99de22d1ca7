"""Erased identities: the tombstones an erasure leaves, and the screening that keeps every link to them out.

An erasure (``privacy.service.erase_customer``) keeps the digest of the customer's external id and of each of their
aliases (``ErasedIdentity``). From then on nothing that names one of those ids is linked or stored, whichever door
it came through:

- an event about an erased id is dropped (``customers.service.resolve`` leaves the id out, also when an alias
  recorded before the erasure rules was still pointing at a live customer);
- an identify, alias or group whose user id is erased is dropped whole;
- an identify whose anonymous id is erased, or an alias whose previous id is erased, does not record the link: the
  alias is dropped whole (the link is all it says); the identify still updates its own (live) user's profile and
  consents, without the link.

Each drop counts once in ``IngestResult.dropped_erased``, and each refused link is also named in the result's
warnings (``erased_identity``, with the message id and the field, never the id itself), because a request is all
or nothing and refusing it whole would also refuse everything else it carried. Never commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.customers.schemas import AliasIn, GroupIn, IdentifyIn, IngestWarning
from momentos.dialect import BulkWriter
from momentos.kit.ids import digest
from momentos.models import ErasedIdentity


def erased_ids(session: Session, org_id: int, ids: Iterable[str]) -> set[str]:
    """Those of ``ids`` whose customer was erased in this organization."""
    wanted = {digest(i): i for i in ids}
    if not wanted or session.scalar(select(ErasedIdentity.org_id).where(ErasedIdentity.org_id == org_id)
                                    .limit(1)) is None:
        return set()  # the usual case: nobody of this organization was ever erased
    rows = BulkWriter(session).lookup("erased_identities", ("digest",), org_id, "digest", list(wanted))
    return {wanted[d] for (d,) in rows}


def tombstone_rows(org_id: int, ids: Iterable[str], erased_at: datetime) -> list[dict[str, Any]]:
    """The rows that keep ``ids`` (an erased customer's external id and aliases) out from now on."""
    return [{"org_id": org_id, "digest": digest(i), "erased_at": erased_at} for i in set(ids)]


def warning_link(message_id: str | None, field_name: str) -> IngestWarning:
    return IngestWarning(code="erased_identity",
                         message="A link to an erased customer was not recorded.",
                         detail={"message_id": message_id, "field": field_name})


@dataclass
class Screened:
    """The profile messages of a batch that may be applied, and what was kept out."""

    identifies: list[IdentifyIn] = field(default_factory=list)
    aliases: list[AliasIn] = field(default_factory=list)
    groups: list[GroupIn] = field(default_factory=list)
    dropped: int = 0
    warnings: list[IngestWarning] = field(default_factory=list)


def screen(session: Session, org_id: int, identifies: Sequence[IdentifyIn], aliases: Sequence[AliasIn],
           groups: Sequence[GroupIn]) -> Screened:
    """Keep every link to an erased identity out of the profile messages (see the module's rules); one lookup."""
    named = [i.customer for i in identifies] + [i.anonymous_id for i in identifies if i.anonymous_id]
    named += [a.customer for a in aliases] + [a.previous_id for a in aliases] + [g.customer for g in groups]
    erased = erased_ids(session, org_id, named)
    if not erased:
        return Screened(list(identifies), list(aliases), list(groups))
    out = Screened()
    for ident in identifies:
        if ident.customer in erased:
            out.dropped += 1
        elif ident.anonymous_id in erased:
            out.dropped += 1
            out.warnings.append(warning_link(ident.message_id, "anonymous_id"))
            out.identifies.append(ident.model_copy(update={"anonymous_id": None}))
        else:
            out.identifies.append(ident)
    for a in aliases:
        if a.customer in erased or a.previous_id in erased:
            out.dropped += 1
            if a.customer not in erased:
                out.warnings.append(warning_link(None, "previous_id"))
        else:
            out.aliases.append(a)
    for g in groups:
        if g.customer in erased:
            out.dropped += 1
        else:
            out.groups.append(g)
    return out
