"""Priority classes with ageing (R-ACD1, R-VIP1): urgent > VIP > normal, and no one starves.

A caller of class ``rank`` is ordered as if they had arrived ``rank * class_lead_s`` earlier. So a VIP is
ahead of every normal caller who arrived less than ``class_lead_s`` before them, an urgent caller ahead
of both; a normal caller who has waited ``class_lead_s`` longer than a VIP goes first (ageing). Within a
class the offset is the same, so the order is first come, first served.
"""

from __future__ import annotations

NORMAL, VIP, URGENT = 0, 1, 2


def call_rank(priority: int, vip: bool) -> int:
    rank = max(NORMAL, min(URGENT, priority))
    return max(rank, VIP) if vip else rank


def order_key(enqueued_at: float, rank: int, class_lead_s: float, seq: int) -> tuple[float, int, int]:
    return (enqueued_at - rank * class_lead_s, -rank, seq)
