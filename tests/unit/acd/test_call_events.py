"""Statistics per queue and interval, per agent, from facts (R-STAT1, R-ACD6)."""

from __future__ import annotations

import datetime as dt

import pytest

from careline.acd.domain.call_events import (
    BadStatsQuery,
    CallEvent,
    agent_figures,
    check_range,
    parse_interval,
    queue_intervals,
)

T0 = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def test_intervals_split_the_facts_and_compute_asa_service_level_and_longest_wait():
    events = [
        CallEvent("offered", "care", "c1", at=at(1)),
        CallEvent("answered", "care", "c1", "a1", 10.0, at=at(1.2)),
        CallEvent("offered", "care", "c2", at=at(2)),
        CallEvent("answered", "care", "c2", "a1", 50.0, at=at(3)),
        CallEvent("offered", "care", "c3", at=at(4)),
        CallEvent("abandoned", "care", "c3", wait_s=70.0, at=at(5)),
        CallEvent("offered", "care", "c4", at=at(16)),
        CallEvent("overflowed", "care", "c4", wait_s=5.0, at=at(17)),
        CallEvent("offered", "vip", "c5", at=at(2)),
        CallEvent("offered", "care", "late", at=at(60)),  # outside the range
    ]
    rows = queue_intervals(events, T0, at(30), parse_interval("15m"), service_level_s=20)
    first, second, vip = rows[0], rows[1], rows[2]
    assert (first.queue, first.start, first.end) == ("care", T0, at(15))
    assert (first.offered, first.answered, first.abandoned, first.overflowed) == (3, 2, 1, 0)
    assert first.average_speed_of_answer_s == 30.0
    assert first.service_level == pytest.approx(1 / 3)  # c1 within 20 s; c2 late; c3 abandoned
    assert first.longest_wait_s == 70.0
    assert (second.start, second.offered, second.overflowed, second.service_level) == (at(15), 1, 1, None)
    assert second.average_speed_of_answer_s is None
    assert (vip.queue, vip.offered) == ("vip", 1)
    assert len(rows) == 3


def test_agent_figures_add_samples_and_occupancy_is_busy_over_present():
    events = [
        CallEvent("agent", agent_id="a1", handled=1, talk_s=60, hold_s=5, busy_s=70, idle_s=10),
        CallEvent("agent", agent_id="a1", wrap_s=10, busy_s=10, idle_s=10, missed=1),
        CallEvent("agent", agent_id="a2", idle_s=30),
        CallEvent("answered", "care", agent_id="a1"),  # not an agent sample
    ]
    a1, a2 = agent_figures(events)
    assert (a1.handled, a1.missed, a1.talk_s, a1.hold_s, a1.wrap_s) == (1, 1, 60, 5, 10)
    assert a1.occupancy == pytest.approx(80 / 100)
    assert (a2.agent_id, a2.occupancy, a2.handled) == ("a2", 0.0, 0)


@pytest.mark.parametrize("text", ["", "15", "0m", "15x", "-5m", "1.5h", "m"])
def test_bad_intervals_are_refused_with_a_reason(text):
    with pytest.raises(BadStatsQuery) as err:
        parse_interval(text)
    assert "interval" in err.value.reason and err.value.status_code == 422


def test_ranges_must_run_forward_and_not_hold_too_many_intervals():
    assert parse_interval("1h") == dt.timedelta(hours=1) and parse_interval("30s").total_seconds() == 30
    with pytest.raises(BadStatsQuery, match="before"):
        check_range(at(10), at(5))
    with pytest.raises(BadStatsQuery, match="intervals"):
        check_range(T0, T0 + dt.timedelta(days=365), parse_interval("1s"))
    check_range(T0, at(30), parse_interval("15m"))
