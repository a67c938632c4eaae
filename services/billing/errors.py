"""Billing's refusals, as the HTTP layer maps them (careline.core.web.DomainError → {"detail": reason})."""

from __future__ import annotations

from careline.core.web import Conflict, DomainError, NotFound


class InsufficientFunds(DomainError):
    """The card account cannot pay (402): nothing was moved."""

    status_code = 402


class BalanceCeiling(DomainError):
    """The credit would take the card past ledger.MAX_BALANCE_FEN (422): nothing was moved (issue 9 §7)."""

    status_code = 422


class IdempotencyMismatch(Conflict):
    """The key was used before for a different request (409)."""


class UnknownCard(NotFound):
    pass


class CardLocked(DomainError):
    """Too many wrong PINs (423); an agent must reset the PIN (R-REG4)."""

    status_code = 423


class WrongPin(DomainError):
    status_code = 401


class Unbalanced(DomainError):
    """A transaction whose postings do not sum to zero: a programming error, never stored."""

    status_code = 500


__all__ = [
    "BalanceCeiling",
    "CardLocked",
    "Conflict",
    "DomainError",
    "IdempotencyMismatch",
    "InsufficientFunds",
    "NotFound",
    "Unbalanced",
    "UnknownCard",
    "WrongPin",
]
