"""Organizations and API keys. Keys are random, shown once, stored as SHA-256 digests."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from momentos.audit.service import Actor
from momentos.errors import Conflict, NotFound, ValidationFailed
from momentos.kit.clock import utcnow
from momentos.kit.ids import digest, new_secret
from momentos.models import ApiKey, Organization
from momentos.orgs.schemas import IssuedKeys, OrganizationCreate

KEY_PREFIX = {"write": "mw", "admin": "ma"}


@dataclass(frozen=True)
class Principal:
    """Who is calling: an organization and the kind of key used."""

    org_id: int
    org_slug: str
    kind: str
    key_id: int | None = None
    key_prefix: str = ""

    @property
    def is_admin(self) -> bool:
        return self.kind == "admin"

    @property
    def actor(self) -> Actor:
        """Who this principal is in the audit log: its key, by id and visible prefix."""
        return Actor.key(self.key_id, f"{self.kind} key {self.key_prefix}".strip())


def create_organization(session: Session, data: OrganizationCreate) -> tuple[Organization, IssuedKeys]:
    try:
        ZoneInfo(data.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed("Unknown time zone.", code="unknown_timezone",
                               detail={"timezone": data.timezone}) from exc
    if session.scalar(select(Organization.id).where(Organization.slug == data.slug)):
        raise Conflict("An organization with that slug exists.", code="organization_exists",
                       detail={"slug": data.slug})
    org = Organization(slug=data.slug, name=data.name, default_language=data.default_language,
                       timezone=data.timezone, created_at=utcnow())
    session.add(org)
    session.flush()
    keys = IssuedKeys(organization=org.slug, write_key=issue_key(session, org.id, "write"),
                      admin_key=issue_key(session, org.id, "admin"))
    return org, keys


def issue_key(session: Session, org_id: int, kind: str, name: str = "") -> str:
    return new_key(session, org_id, kind, name)[1]


def new_key(session: Session, org_id: int, kind: str, name: str = "") -> tuple[ApiKey, str]:
    """A new key row and its secret (the caller shows the secret once; only its digest is stored)."""
    secret = new_secret(KEY_PREFIX[kind])
    row = ApiKey(org_id=org_id, kind=kind, name=name, prefix=secret[:10], digest=digest(secret), created_at=utcnow())
    session.add(row)
    session.flush()
    return row, secret


def authenticate(session: Session, secret: str) -> Principal | None:
    return authenticate_digest(session, digest(secret))


def authenticate_digest(session: Session, key_digest: str) -> Principal | None:
    """The principal of a key known by its digest (what a page session keeps instead of the key itself); None for
    an unknown, revoked or expired key (checked on every request, so revocation takes effect on the next one)."""
    row = session.execute(
        select(ApiKey.kind, Organization.id, Organization.slug, ApiKey.id, ApiKey.prefix)
        .join(Organization, Organization.id == ApiKey.org_id)
        .where(ApiKey.digest == key_digest, ApiKey.revoked_at.is_(None),
               or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > utcnow()))
    ).first()
    if row is None:
        return None
    return Principal(org_id=row[1], org_slug=row[2], kind=row[0], key_id=row[3], key_prefix=row[4])


def get_organization(session: Session, slug: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise NotFound(f"Organization '{slug}' not found.", code="organization_not_found", detail={"slug": slug})
    return org


def get_organization_by_id(session: Session, org_id: int) -> Organization:
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFound("Organization not found.", code="organization_not_found")
    return org
