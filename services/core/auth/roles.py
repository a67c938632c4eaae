"""The roles of careline (design §6, issue 9 §2, R-ADM1): each principal holds one or more.

No role implies another: an admin is not a supervisor, a supervisor is not an agent. A route lists every
role it admits (``require(Role.SUPERVISOR, Role.QA)``), so least privilege is read off the route itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Role(StrEnum):
    KIOSK = "kiosk"  # a caller-facing kiosk or IVR front end
    AGENT = "agent"  # answers calls; acts only on their own calls and state
    EXPERT = "expert"  # paid consultations (R-EXP*)
    SUPERVISOR = "supervisor"  # watches queues, listens in, whispers, barges (R-REC2)
    QA = "qa"  # evaluates agents from recordings and statistics (R-QA1)
    ADMIN = "admin"  # configuration, users, prompts, flows, the audit log (R-ADM*)
    FINANCE = "finance"  # money: adjustments, bank lines, rates
    INTEGRATOR = "integrator"  # a machine client of another hospital system


def parse_roles(values: Iterable[str]) -> frozenset[Role]:
    """Roles named in ``values``; raises ValueError on a name that is not a role."""
    return frozenset(Role(str(value).strip().lower()) for value in values if str(value).strip())


def known_roles(values: Iterable[object]) -> frozenset[Role]:
    """The roles among ``values``, ignoring anything else (claims from an outside provider)."""
    names = {role.value for role in Role}
    return frozenset(Role(v) for v in (str(x).strip().lower() for x in values) if v in names)
