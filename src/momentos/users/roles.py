"""Roles and what each may do on the pages. One table, used by the page dependency ``web.access.require``.

- ``owner`` and ``manager`` configure (services, touchpoints, contact rules) and operate (outbox replay);
- ``analyst`` reads everything (overview, journey maps, customers, configuration and operations, read-only);
- ``agent`` sees customers and processes only, and records what a customer says (consent: ``record``, like
  owners and managers);
- only an ``owner`` administers access: the organization's API keys and its people (``/settings``), and reads
  the audit log (``/settings/audit``).
"""

from __future__ import annotations

from typing import Literal

Role = Literal["owner", "manager", "analyst", "agent"]
ROLES: tuple[str, ...] = ("owner", "manager", "analyst", "agent")
Permission = Literal["customers", "record", "read", "configure", "operate", "administer"]

PERMISSIONS: dict[str, frozenset[str]] = {
    "customers": frozenset(ROLES),
    "record": frozenset({"owner", "manager", "agent"}),
    "read": frozenset({"owner", "manager", "analyst"}),
    "configure": frozenset({"owner", "manager"}),
    "operate": frozenset({"owner", "manager"}),
    "administer": frozenset({"owner"}),
}


def allows(role: str, permission: Permission) -> bool:
    return role in PERMISSIONS[permission]
