"""CDR settings (design §1): env prefix ``CARELINE_CDR_``; the ESL link settings come from the base."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from careline.core.settings import ServiceSettings


class CdrSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CARELINE_CDR_", extra="ignore")

    service: str = "cdr"
    # Its own default HTTP port, so the five services started side by side do not collide (docs/ops/ports.md).
    http_port: int = 8103
    # issue 15: legs written per transaction at most (fewer when fewer wait: batches grow with the load)
    write_batch: int = 256
    # after a short batch, wait this long before fetching the next: a record is stored up to this much
    # later, and a transaction carries ~rate x linger legs instead of one (issue 15: CPU per call)
    write_linger_s: float = 0.2
    # a batch neither acked nor marked in progress for this long is redelivered (to this or another
    # replica); the upsert makes a redelivery harmless
    write_ack_wait_s: float = 60.0
    # take hangups from the ESL link (false: only from mod_json_cdr's posts, docs/adr/0002)
    esl_intake: bool = True
    # the name of this CDR database on the bus (subject careline.intake.cdr.<site>, durable
    # cdr-writer-<site>): every CDR replica of one database shares it; another database on the same NATS
    # needs its own, or it would store this one's legs
    intake_site: str = "main"
    # back-pressure (issue 15): how often the backlog is looked at, and when the alarm is raised
    backlog_check_s: float = 2.0
    backlog_alarm_lag_s: float = 30.0
    backlog_alarm_pending: int = 5000
    # mod_json_cdr's posts (docs/adr/0002): "user:password" it sends (its `cred` param; empty: no check)
    json_cdr_credentials: str = ""
    # true if json_cdr.conf leaves encode-values at its default (variables URL-encoded)
    json_cdr_encoded_values: bool = False
