"""ACD replicas sharing live state through NATS KV with compare-and-set (design §3-4, issue 3,
docs/adr/0001-acd-replicas.md).

- :mod:`.records`  the JSON values kept in ``agent_state`` and ``queue_members``;
- :mod:`.agents`   :class:`AgentBoard`: the CAS reservation before an offer, the mirror of other
  instances' agent changes, and the publication of this instance's own;
- :mod:`.members`  :class:`MemberBook`: this instance's waiting and bridged callers in ``queue_members``;
- :mod:`.adoption` leases (instance heartbeats) and the take-over of a dead instance's callers and agents;
- :mod:`.replica`  the wiring: loops, watch, and the enqueue hand-shake.
"""
