"""ACD settings (design §1): env prefix ``CARELINE_ACD_``."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from careline.core.settings import ServiceSettings


class AcdSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CARELINE_ACD_", extra="ignore")

    service: str = "acd"
    # Its own default HTTP port, so the five services started side by side do not collide (docs/ops/ports.md).
    http_port: int = 8101
    # Dial string of an agent's phone; FreeSWITCH's directory covers SIP and Verto contacts (design §8).
    agent_dial: str = "user/{extension}"
    enqueue_timeout_s: float = 2.0
    max_missed_offers: int = 1  # auto-break (reason no-answer) after this many missed offers in a row
    reject_delay_s: float = 5.0  # an agent who missed an offer is not offered again before this
    tick_s: float = 0.2  # how often wrap-ups, announcements and overflows are looked at
    goodbye_s: int = 4  # how long the overflow goodbye prompt plays before the hang-up
    # Replicas (design §4, docs/adr/0001-acd-replicas.md): share agents and callers through NATS KV.
    replicas: bool = False
    instance_id: str = ""  # "": a new random id per start
    lease_s: float = 5.0  # an instance silent this long is dead: the others take its callers over
    # Call controls (R-ACD3, R-ACD5): where a caller waits between agents, the context of transfers,
    # and the dial string of an outbound call.
    hold_extension: str = "careline-acd-hold"
    transfer_context: str = "default"
    outbound_dial: str = "sofia/gateway/pstn/{number}"
    # What a caller hears while their agent holds the call (issue 8): set as ``hold_music`` on the agent's
    # leg, which is the leg held, since FreeSWITCH plays a held leg's hold_music to its partner.
    hold_music: str = "local_stream://moh"
    # The caller ID the far end of an outbound call or callback sees ("": the agent's extension).
    outbound_caller_id_number: str = ""
    outbound_caller_id_name: str = "careline"
    stats_sample_s: float = 5.0  # agents' workload sampled (and statistics written) this often
    # Said to a caller whose call another service asked to end (billing: credit exhausted), before the
    # hang-up goodbye_s later; a file path, since uuid_broadcast takes no spaces (call_end.py).
    call_end_prompt: str = "ivr/careline-call-ended.wav"
    # Statistics facts made durable on JetStream before the database (issue 15, R-STAT1; acd/call_log).
    call_log_max_queued: int = 100_000  # events held in memory while NATS is away; beyond: dropped, counted
    # Events recorded within this long of each other share one JetStream message (a publish costs many
    # times an event's encoding); also how long an event may wait in memory before it goes to NATS.
    call_log_publish_linger_s: float = 0.02
    call_log_write_batch: int = 256  # events per transaction (fewer when fewer wait)
    call_log_write_linger_s: float = 0.2  # after a short batch, let the next one fill
    call_log_write_ack_wait_s: float = 60.0  # a batch held this long by a dead writer is redelivered
    call_log_read_wait_s: float = 5.0  # a statistics query waits this long for this process's events
    call_log_drain_s: float = 5.0  # at shutdown, publish and write what was recorded for up to this long
    call_log_backlog_check_s: float = 5.0
    call_log_backlog_alarm_lag_s: float = 30.0  # alarm acd_events_backlog past this wait, or
    call_log_backlog_alarm_pending: int = 5000  # past this many events not yet stored
