"""Customer identity and profile rules. Never commits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from momentos.audit.service import Actor, record
from momentos.customers import consent
from momentos.customers.erased import erased_ids, tombstone_rows
from momentos.customers.schemas import PROTECTED_TRAITS, AliasIn, CustomerUpdate, GroupIn, IdentifyIn, IngestWarning
from momentos.db import table_of
from momentos.dialect import PG_TIMESTAMP, BulkWriter, insert_ignore, pg_time_text
from momentos.errors import NotFound, ValidationFailed
from momentos.kit.clock import ensure_utc, utcnow
from momentos.models import Consent, ConsentEvent, Customer, CustomerAlias, ErasedIdentity

_TABLE = table_of(Customer)
ADMIN_SOURCE = "admin"
"""The source of statements made through ``PATCH /api/v1/customers/{id}`` (an admin key or a user)."""
_INSERT_COLUMNS = ("org_id", "external_id", "preferred_channels", "do_not_contact", "traits", "account_traits",
                   "first_seen_at", "created_at", "updated_at")


def normalize_language(value: Any) -> str | None:
    """'es-MX', 'es_ES', 'ES' → 'es'; anything that is not Spanish or English → None."""
    if not isinstance(value, str) or len(value) < 2:
        return None
    lang = value[:2].lower()
    return lang if lang in ("es", "en") else None


def valid_timezone(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return value


def _lookup(session: Session, org_id: int, ids: list[str]) -> dict[str, int]:
    bulk = BulkWriter(session)
    found: dict[str, int] = dict(bulk.lookup("customers", ("external_id", "id"), org_id, "external_id", ids))
    missing = [i for i in ids if i not in found]
    if missing:
        found.update(bulk.lookup("customer_aliases", ("alias", "customer_id"), org_id, "alias", missing))
    return found


def _without_erased(session: Session, org_id: int, seen: Iterable[str], found: dict[str, int]) -> set[str]:
    """The erased ones among ``seen``, taken out of ``found`` (a live customer's own external id stays: erasing
    someone who once had it as an alias does not silence a customer of their own)."""
    erased = erased_ids(session, org_id, seen)
    if erased & found.keys():
        own = BulkWriter(session).lookup("customers", ("external_id",), org_id, "external_id",
                                         sorted(erased & found.keys()))
        erased -= {i for (i,) in own}
        for i in erased:
            found.pop(i, None)
    return erased


def resolve(session: Session, org_id: int, seen: Mapping[str, datetime], *, copy: bool = False) -> dict[str, int]:
    """Map external ids (or aliases) to customer ids, creating the missing ones.

    Erased identities are left out of the result: their events are dropped, so they do not come back. Every id
    that is not a live customer's own external id is checked against the tombstones, those found through an alias
    too (``customers.erased``: an alias to an erased id is never recorded, but one recorded before that rule held
    must not bring the customer's events back either).

    ``copy`` (the bulk road; PostgreSQL only, elsewhere ignored): the new customers are written with one COPY and
    ids drawn beforehand. A customer created meanwhile by a concurrent transaction then fails the statement (unique
    violation) instead of being looked up: the bulk road falls back to the general path.
    """
    found = _lookup(session, org_id, sorted(seen))
    erased = _without_erased(session, org_id, seen, found)
    missing = sorted(i for i in seen if i not in found and i not in erased)  # one lock order (no deadlock)
    if missing:
        now = utcnow()
        writer = BulkWriter(session)
        if copy and writer.postgres and missing:
            found.update(_copy_new(writer, org_id, missing, seen, now))
            return found
        rows: list[tuple[Any, ...]] = [(org_id, i, [], False, {}, {}, seen[i], now, now) for i in missing]
        inserted = writer.insert_returning("customers", _INSERT_COLUMNS, rows, ("org_id", "external_id"),
                                           ("id", "external_id"), datetimes=(6, 7, 8), jsons=(2, 4, 5))
        found.update({ext: cid for cid, ext in inserted})
        raced = [i for i in missing if i not in found]
        if raced:  # created meanwhile by a concurrent transaction
            found.update(_lookup(session, org_id, raced))
    return found


def _copy_new(writer: BulkWriter, org_id: int, missing: list[str], seen: Mapping[str, datetime],
              now: datetime) -> dict[str, int]:
    """Write new customers with COPY (PostgreSQL), as :func:`resolve`'s insert would: ids in external-id order."""
    ids = writer.next_ids("customers", len(missing))
    stamp = pg_time_text(now)
    frame = pl.DataFrame({"id": ids, "external_id": missing, "first_seen_at": [seen[i] for i in missing]},
                         schema={"id": pl.Int64, "external_id": pl.String, "first_seen_at": pl.Datetime("us", "UTC")})
    writer.copy_frame("customers", frame.select(
        "id", pl.lit(org_id, pl.Int64).alias("org_id"), "external_id", pl.lit("[]").alias("preferred_channels"),
        pl.lit(False).alias("do_not_contact"), pl.lit("{}").alias("traits"), pl.lit("{}").alias("account_traits"),
        pl.col("first_seen_at").dt.strftime(PG_TIMESTAMP), pl.lit(stamp).alias("created_at"),
        pl.lit(stamp).alias("updated_at")))
    return dict(zip(missing, ids, strict=True))


def _apply_traits(customer: Customer, traits: Mapping[str, Any]) -> list[str]:
    """Copy known traits to fields and keep the rest; protected keys are refused. Returns refused keys."""
    refused = [k for k in traits if k.lower() in PROTECTED_TRAITS]
    kept = {k: v for k, v in traits.items() if k.lower() not in PROTECTED_TRAITS}
    if isinstance(kept.get("email"), str):
        customer.email = kept["email"][:320]
    if isinstance(kept.get("phone"), str):
        customer.phone = kept["phone"][:40]
    name = kept.get("name") or " ".join(str(kept[k]) for k in ("firstName", "lastName") if kept.get(k))
    if isinstance(name, str) and name:
        customer.name = name[:200]
    lang = normalize_language(kept.get("language") or kept.get("locale"))
    if lang:
        customer.language = lang
    tz = valid_timezone(kept.get("timezone"))
    if tz:
        customer.timezone = tz
    channels = kept.get("preferred_channels")
    if isinstance(channels, list) and all(isinstance(c, str) for c in channels):
        customer.preferred_channels = [c.lower() for c in channels][:12]
    customer.traits = {**customer.traits, **kept}
    return refused


def identify(session: Session, org_id: int, data: IdentifyIn, *, source: str = "api",
             mapping: Mapping[str, tuple[str, ...]] | None = None,
             warnings: list[IngestWarning] | None = None) -> Customer | None:
    """Create or update a customer from an identify call. Returns None for an erased identity.

    Its consent statements and do-not-contact are recorded with ``source``, its message id and timestamp
    (``customers.consent``); Segment's consent categories go through ``mapping`` (the organization's, loaded when
    not given). Refused traits and unknown consent categories are appended to ``warnings``, by name.
    """
    ids = resolve(session, org_id, {data.customer: data.timestamp})
    if data.customer not in ids:
        return None
    customer = session.get_one(Customer, ids[data.customer])
    refused = _apply_traits(customer, data.traits)
    if refused and warnings is not None:
        warnings.append(consent.warning_protected(data.customer, data.message_id, refused))
    statements: list[consent.Statement] = []
    if data.consent_categories:
        statements, unknown = consent.from_categories(
            data.consent_categories, mapping if mapping is not None else consent.mapping_of(session, org_id))
        if unknown and warnings is not None:
            warnings.append(consent.warning_unknown_categories(data.customer, data.message_id, unknown))
    if data.consents or statements or data.do_not_contact is not None:
        consent.record(session, customer, consent.merged([*data.consents, *statements]),
                       do_not_contact=data.do_not_contact, source=source, message_id=data.message_id,
                       occurred_at=ensure_utc(data.timestamp))
    if lang := normalize_language(data.language):
        customer.language = customer.language or lang
    if tz := valid_timezone(data.timezone):
        customer.timezone = customer.timezone or tz
    customer.updated_at = utcnow()
    if data.anonymous_id and data.anonymous_id != data.customer:
        _add_alias(session, org_id, data.anonymous_id, customer.id)
    session.flush()
    return customer


def _add_alias(session: Session, org_id: int, alias: str, customer_id: int) -> None:
    insert_ignore(session, table_of(CustomerAlias), [
        {"org_id": org_id, "alias": alias, "customer_id": customer_id, "created_at": utcnow()}
    ], ["org_id", "alias"])


def alias(session: Session, org_id: int, data: AliasIn) -> None:
    """Record that ``previous_id`` (e.g. an anonymous id) is the same person as ``customer``.

    If ``previous_id`` already had its own customer record, its history is moved onto ``customer``.
    """
    from momentos.models import Event, Process

    ids = resolve(session, org_id, {data.customer: data.timestamp})
    if data.customer not in ids:
        return
    target = ids[data.customer]
    source = session.scalar(select(Customer.id).where(Customer.org_id == org_id,
                                                      Customer.external_id == data.previous_id))
    if source is not None and source != target:
        session.execute(update(Event).where(Event.customer_id == source).values(customer_id=target))
        session.execute(update(Process).where(Process.customer_id == source).values(customer_id=target))
        session.execute(update(CustomerAlias).where(CustomerAlias.customer_id == source)
                        .values(customer_id=target))
        session.execute(delete(Customer).where(Customer.id == source))
    _add_alias(session, org_id, data.previous_id, target)
    session.flush()


def group(session: Session, org_id: int, data: GroupIn, *, warnings: list[IngestWarning] | None = None) -> None:
    ids = resolve(session, org_id, {data.customer: data.timestamp})
    if data.customer in ids:
        customer = session.get_one(Customer, ids[data.customer])
        customer.account_id = data.group_id
        customer.account_traits = {k: v for k, v in data.traits.items() if k.lower() not in PROTECTED_TRAITS}
        refused = [k for k in data.traits if k.lower() in PROTECTED_TRAITS]
        if refused and warnings is not None:
            warnings.append(consent.warning_protected(data.customer, None, refused))
        customer.updated_at = utcnow()
        session.flush()


def get_customer(session: Session, org_id: int, external_id: str) -> Customer:
    customer = session.scalar(select(Customer).where(Customer.org_id == org_id,
                                                     Customer.external_id == external_id))
    if customer is None:
        raise NotFound("Customer not found.", code="customer_not_found", detail={"customer": external_id})
    return customer


def list_customers(session: Session, org_id: int, *, limit: int = 50, after: str | None = None,
                   search: str | None = None) -> Sequence[Customer]:
    stmt = select(Customer).where(Customer.org_id == org_id)
    if after:
        stmt = stmt.where(Customer.external_id > after)
    if search:
        pattern = f"%{search.lower()}%"
        stmt = stmt.where(or_(func.lower(Customer.external_id).like(pattern),
                              func.lower(Customer.name).like(pattern), func.lower(Customer.email).like(pattern)))
    return session.scalars(stmt.order_by(Customer.external_id).limit(limit)).all()


def consent_history(session: Session, customer_id: int, *, limit: int = 200) -> Sequence[ConsentEvent]:
    """The customer's consent and do-not-contact statements, newest first."""
    return consent.history(session, customer_id, limit=limit)


def consents_of(session: Session, customer_id: int) -> Sequence[Consent]:
    return session.scalars(select(Consent).where(Consent.customer_id == customer_id)
                           .order_by(Consent.channel, Consent.purpose)).all()


def update_customer(session: Session, org_id: int, external_id: str, data: CustomerUpdate, *,
                    source: str = ADMIN_SOURCE, actor: Actor | None = None) -> Customer:
    """Change a customer's own data; consent statements are recorded with ``source`` (and, given an ``actor``, in
    the audit log: who recorded what the customer said)."""
    customer = get_customer(session, org_id, external_id)
    if data.preferred_channels is not None:
        customer.preferred_channels = list(dict.fromkeys(data.preferred_channels))
    if data.language is not None:
        customer.language = data.language
    if data.timezone is not None:
        if valid_timezone(data.timezone) is None:
            raise ValidationFailed("Unknown time zone.", code="unknown_timezone", detail={"timezone": data.timezone})
        customer.timezone = data.timezone
    now = utcnow()
    if data.consents or data.do_not_contact is not None:
        statements = consent.merged(data.consents)
        consent.record(session, customer, statements, do_not_contact=data.do_not_contact, source=source,
                       message_id=None, occurred_at=now)
        if actor is not None:
            record(session, org_id, actor, "customer.consent", f"customer:{external_id}", after={
                "source": source, "do_not_contact": data.do_not_contact,
                "consents": [f"{s.channel}/{s.purpose}={'granted' if s.granted else 'withdrawn'}" for s in statements]})
    customer.updated_at = now
    session.flush()
    return customer


def tombstone(session: Session, org_id: int, customer: Customer) -> None:
    """Keep the digests of the customer's external id and aliases, so nothing naming them is linked or stored
    again (``customers.erased``)."""
    aliases = session.scalars(select(CustomerAlias.alias).where(CustomerAlias.customer_id == customer.id)).all()
    rows = tombstone_rows(org_id, [customer.external_id, *aliases], utcnow())
    insert_ignore(session, table_of(ErasedIdentity), rows, ["org_id", "digest"])


def delete_customer(session: Session, org_id: int, customer: Customer) -> None:
    """Delete a customer with all their events and processes (cascade), and keep a tombstone of their external id
    and aliases against replays. Erasure across every domain is ``privacy.service.erase_customer``."""
    tombstone(session, org_id, customer)
    session.delete(customer)
    session.flush()


def activity_span(session: Session, customer_ids: Sequence[int]) -> dict[int, tuple[datetime, datetime]]:
    """First and last event time per customer, from the event log."""
    from momentos.models import Event

    if not customer_ids:
        return {}
    stmt = (select(Event.customer_id, func.min(Event.timestamp), func.max(Event.timestamp))
            .where(Event.customer_id.in_(list(customer_ids))).group_by(Event.customer_id))
    return {cid: (first, last) for cid, first, last in session.execute(stmt)}
