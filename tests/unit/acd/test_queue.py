"""Queue order: urgent > VIP > normal, ageing, first come first served (R-ACD1, R-VIP1)."""

from careline.acd.domain.queue import CallQueue, QueueConfig, WaitingCall, parse_skills


def _queue(*calls: WaitingCall, lead: float = 120.0) -> CallQueue:
    q = CallQueue(QueueConfig("general", class_lead_s=lead))
    for c in calls:
        q.add(c)
    return q


def test_urgent_then_vip_then_first_come():
    q = _queue(
        WaitingCall("a", "1", 1.0),
        WaitingCall("b", "2", 2.0),
        WaitingCall("v", "3", 3.0, vip=True),
        WaitingCall("u", "4", 4.0, priority=2),
    )
    assert [c.call_uuid for c in q.ordered()] == ["u", "v", "a", "b"]
    assert q.position("a") == 3 and q.position("zzz") == 0


def test_ageing_lets_a_long_waiting_normal_caller_pass_a_new_vip():
    q = _queue(WaitingCall("old", "1", 0.0), WaitingCall("vip", "2", 150.0, vip=True), lead=120.0)
    assert [c.call_uuid for c in q.ordered()] == ["old", "vip"]  # waited 150 s > the VIP's 120 s lead


def test_fifo_within_a_class():
    q = _queue(*(WaitingCall(f"v{i}", "1", float(i), vip=True) for i in range(5)))
    assert [c.call_uuid for c in q.ordered()] == [f"v{i}" for i in range(5)]


def test_add_is_idempotent():
    first = WaitingCall("a", "1", 1.0)
    q = _queue(first)
    assert q.add(WaitingCall("a", "1", 9.0)) is first and len(q) == 1


def test_offered_caller_keeps_head_but_is_not_offered_twice():
    head, second = WaitingCall("a", "1", 1.0), WaitingCall("b", "2", 2.0)
    q = _queue(head, second)
    head.offers["x"] = "leg"
    assert [c.call_uuid for c in q.next_unoffered()] == ["b"] and q.ordered()[0] is head


def test_skills_parse_and_widen_with_the_wait():
    call = WaitingCall("a", "1", 0.0, skills=parse_skills(["cardiology:3", "mandarin"]))
    assert call.skills == {"cardiology": 3, "mandarin": 1}
    assert call.asked_levels(29.0, 30.0) == {"cardiology": 3, "mandarin": 1}
    assert call.asked_levels(31.0, 30.0) == {"cardiology": 2, "mandarin": 0}
    assert call.asked_levels(500.0, 30.0) == {"cardiology": 0, "mandarin": 0}


def test_max_length_makes_the_queue_full():
    q = CallQueue(QueueConfig("small", max_length=1))
    assert not q.full
    q.add(WaitingCall("a", "1", 0.0))
    assert q.full
