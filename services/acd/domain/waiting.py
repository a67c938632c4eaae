"""What time does to callers in a queue (R-ACD1, R-IVR5): announcements and overflow, as pure choices
the distributor then carries out.

- every ``announce_every_s`` a waiting caller (not being offered) hears their position and an estimated
  wait: position × mean handle time ÷ agents serving the queue (at least one);
- a caller overflows after ``max_wait_s`` in the queue, or at once when ``overflow_when_no_agents`` and no
  agent of the queue is logged in, to ``overflow`` (another queue, or ``goodbye``). Without an overflow
  target the caller stays (flagged over-waiting in the snapshot).
"""

from __future__ import annotations

from dataclasses import dataclass

from careline.acd.domain.queue import CallQueue, WaitingCall


@dataclass(frozen=True)
class Announcement:
    call: WaitingCall
    position: int
    estimated_wait_s: float


def estimated_wait_s(position: int, mean_handle_s: float, serving_agents: int) -> float:
    return position * mean_handle_s / max(1, serving_agents)


def due_announcements(queue: CallQueue, now: float, serving_agents: int) -> list[Announcement]:
    every = queue.config.announce_every_s
    if every <= 0:
        return []
    mean = queue.stats.mean_talk_s or queue.config.mean_handle_s
    due = []
    for position, call in enumerate(queue.ordered(), start=1):
        if call.offering or call.callback_number or now < call.next_announce_at:
            continue
        call.next_announce_at = now + every
        due.append(Announcement(call, position, estimated_wait_s(position, mean, serving_agents)))
    return due


def due_overflows(queue: CallQueue, now: float, agents_logged_in: int) -> list[WaitingCall]:
    cfg = queue.config
    if not cfg.overflow:
        return []
    no_agents = cfg.overflow_when_no_agents and agents_logged_in == 0
    return [
        c
        for c in queue.ordered()
        if not c.offering
        and not c.callback_number  # a callback waits for its agent, however long (no channel to move)
        and (no_agents or now - c.entered_at >= cfg.max_wait_s)
    ]
