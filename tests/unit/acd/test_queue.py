"""Queue order and agent selection (R-ACD1, R-VIP1)."""

from careline.acd.domain.agents import Agent
from careline.acd.domain.queue import CallQueue, QueueConfig, WaitingCall, idle_order, select_offers


def _queue(*calls: WaitingCall) -> CallQueue:
    q = CallQueue(QueueConfig("general"))
    for c in calls:
        q.add(c)
    return q


def _agent(agent_id: str, idle_since: float | None) -> Agent:
    agent = Agent(agent_id, agent_id, agent_id)
    if idle_since is not None:
        agent.log_in(idle_since)
    return agent


def test_vip_first_then_first_come():
    q = _queue(WaitingCall("a", "1", 1.0), WaitingCall("b", "2", 2.0), WaitingCall("v", "3", 3.0, vip=True))
    assert [c.call_uuid for c in q.ordered()] == ["v", "a", "b"]
    assert q.position("a") == 2 and q.position("zzz") == 0


def test_add_is_idempotent():
    first = WaitingCall("a", "1", 1.0)
    q = _queue(first)
    assert q.add(WaitingCall("a", "1", 9.0)) is first and len(q) == 1


def test_longest_idle_agent_first_and_logged_out_skipped():
    agents = [_agent("x", 5.0), _agent("y", 1.0), _agent("z", None)]
    assert [a.id for a in idle_order(agents)] == ["y", "x"]


def test_offered_caller_keeps_head_but_is_not_paired_twice():
    head, second = WaitingCall("a", "1", 1.0), WaitingCall("b", "2", 2.0)
    q = _queue(head, second)
    head.offered_to = "x"
    pairs = select_offers(q, [_agent("y", 1.0)])
    assert [(c.call_uuid, a.id) for c, a in pairs] == [("b", "y")]
    assert q.ordered()[0] is head


def test_every_available_agent_is_paired_while_callers_wait():
    q = _queue(WaitingCall("a", "1", 1.0), WaitingCall("b", "2", 2.0))
    pairs = select_offers(q, [_agent("x", 3.0), _agent("y", 1.0), _agent("z", 2.0)])
    assert [(c.call_uuid, a.id) for c, a in pairs] == [("a", "y"), ("b", "z")]
