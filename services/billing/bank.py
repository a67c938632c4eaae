"""Bank statement parsing (R-ACC1: money transferred from a bank into a card account). Pure: no I/O.

The statement is CSV with a header row naming at least ``reference,card_number,amount``; ``amount`` is
in yuan as the bank writes it ("100", "100.5", "100.50") and becomes exact integer fen here. Every line
is either a credit or a rejection with a reason; the importer decides what is a duplicate.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

REQUIRED_COLUMNS = ("reference", "card_number", "amount")
AMOUNT = re.compile(r"^(\d{1,9})(?:\.(\d{1,2}))?$")


@dataclass(frozen=True)
class Credit:
    line: int
    reference: str
    card_number: str
    amount_fen: int
    payer: str


@dataclass(frozen=True)
class Rejection:
    line: int
    reference: str
    reason: str


class StatementUnreadable(ValueError):
    pass


def yuan_to_fen(text: str) -> int:
    """ "100.5" → 10050, exactly; anything else (negative, 3 decimals, "1e3") is refused."""
    match = AMOUNT.match(text.strip())
    if not match:
        raise ValueError(f"amount {text!r} is not yuan with at most two decimals")
    whole, frac = match.group(1), (match.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(frac)


def parse_statement(text: str) -> tuple[list[Credit], list[Rejection]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = [c.strip() for c in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise StatementUnreadable(f"statement has no column(s) {', '.join(missing)}")
    reader.fieldnames = columns
    credits: list[Credit] = []
    rejections: list[Rejection] = []
    seen: set[str] = set()
    for row in reader:
        line = reader.line_num
        reference = (row.get("reference") or "").strip()
        reason = _problem(row, reference, seen)
        if reason:
            rejections.append(Rejection(line, reference, reason))
            continue
        seen.add(reference)
        credits.append(
            Credit(
                line=line,
                reference=reference,
                card_number=row["card_number"].strip(),
                amount_fen=yuan_to_fen(row["amount"]),
                payer=(row.get("payer") or "").strip(),
            )
        )
    return credits, rejections


def _problem(row: dict, reference: str, seen: set[str]) -> str:
    if None in row or any(row.get(c) is None for c in REQUIRED_COLUMNS):
        return "wrong number of fields"
    if not reference:
        return "no bank reference"
    if reference in seen:
        return f"reference {reference} appears twice in this statement"
    if not row["card_number"].strip():
        return "no card number"
    try:
        amount = yuan_to_fen(row["amount"])
    except ValueError as err:
        return str(err)
    if amount == 0:
        return "amount is zero"
    return ""
