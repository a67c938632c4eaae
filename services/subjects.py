"""Every NATS subject, JetStream stream and KV bucket careline uses — the one place they are named.

Design §4. `proto/careline/v1/SUBJECTS.md` lists the same entries beside the messages they carry;
tests/unit/core/test_subjects.py keeps the two in agreement. Subjects with `{placeholders}` are built
with the functions below, never by hand, so a typo cannot split a conversation in two.

Kinds: "jetstream" (a fact, stored; publish with Bus.publish), "intake" (raw records on a work-queue
stream, Bus.publish_raw with Nats-Msg-Id = the record's key, read with Bus.consume_batch), "request" (core
request/reply; Bus.request / Bus.serve), "push" (core fire-and-forget; Bus.notify / Bus.subscribe), "kv"
(a bucket; Bus.kv).
"""

from __future__ import annotations

from dataclasses import dataclass

from careline.core.bus import BucketSpec, StreamSpec

PREFIX = "careline"

# --- JetStream facts -------------------------------------------------------------------------------
CALL_EVENT = "careline.call.{call_uuid}.{event}"  # event in CALL_EVENT_NAMES
CALL_EVENT_NAMES = ("started", "answered", "bridged", "hungup")
CALL_EVENTS_ALL = "careline.call.>"
CDR_CREATED = "careline.cdr.created"
LEDGER_POSTED = "careline.ledger.posted"

# --- JetStream intake (raw records made durable before anything else; issue 15) ----------------------
# a leg's hangup headers (JSON), Nats-Msg-Id = the leg uuid; {site}: the CDR database they go to (CDR
# services sharing a database share it; another database on the same NATS never takes this one's legs)
CDR_INTAKE_LEG = "careline.intake.cdr.{site}"
# The ACD's statistics facts (R-STAT1): one event (JSON object) or several recorded together (array),
# Nats-Msg-Id = the (first) event's id; {log_id} names the database
# they are written to (one durable writer per database: ACDs on other databases never take them).
ACD_INTAKE_EVENT = "careline.intake.acd.{log_id}"

# --- core request/reply ----------------------------------------------------------------------------
ACD_ENQUEUE = "careline.acd.enqueue"
CRM_CALLER_LOOKUP = "careline.crm.caller.lookup"
BILLING_CARD_AUTH = "careline.billing.card.authenticate"
BILLING_TARIFF = "careline.billing.tariff"
BILLING_REGISTER = "careline.billing.registration.register"
BILLING_CONSULTATION_AUTH = "careline.billing.consultation.authorise"
CRM_APPOINTMENT_BOOK = "careline.crm.appointment.book"
CRM_APPOINTMENT_CANCEL = "careline.crm.appointment.cancel"
CRM_APPOINTMENT_READBACK = "careline.crm.appointment.readback"
CRM_INFO_LOOKUP = "careline.crm.info.lookup"
CRM_COMPLAINT_FILE = "careline.crm.complaint.file"
CRM_REGISTRATION_HOLD = "careline.crm.registration.hold"
CRM_REGISTRATION_RELEASE = "careline.crm.registration.release"
CRM_REGISTRATION_CHECKIN = "careline.crm.registration.checkin"
CRM_REGISTRATION_STATUS = "careline.crm.registration.status"
CRM_PATIENT_LANGUAGE_SET = "careline.crm.patient.language.set"  # the IVR keeps a caller's language

# --- core push -------------------------------------------------------------------------------------
AGENT_SCREENPOP = "careline.agent.{agent_id}.screenpop"
ACD_CALL_END_REQUEST = "careline.acd.call.end"  # a non-owner asks the ACD to end a call (design §3)
ACD_ALARM = "careline.acd.alarm"  # raised and cleared supervisor alarms (R-ACD6, R-SUP1)
IVR_PLAYBACK_FAILED = "careline.ivr.playback.failed"  # a prompt the switch did not play (issue 8)

# --- streams ---------------------------------------------------------------------------------------
CALLS = "CALLS"
CDRS = "CDRS"
LEDGER = "LEDGER"
CDR_INTAKE = "CDR_INTAKE"
ACD_INTAKE = "ACD_INTAKE"

# --- KV buckets ------------------------------------------------------------------------------------
KV_CALL_OWNER = "call_owner"  # key: call uuid, value: owning service ("ivr", "acd") — design §3
KV_AGENT_STATE = "agent_state"  # key: agent id, value: the agent's state (R-ACD6)
KV_QUEUE_MEMBERS = "queue_members"  # key: "<queue>.<call uuid>", value: queue entry


def call_event(call_uuid: str, event: str) -> str:
    """Subject of a call lifecycle fact, e.g. careline.call.<uuid>.hungup."""
    if event not in CALL_EVENT_NAMES:
        raise ValueError(f"unknown call event {event!r}; expected one of {CALL_EVENT_NAMES}")
    return CALL_EVENT.format(call_uuid=_token(call_uuid), event=event)


def agent_screenpop(agent_id: str) -> str:
    return AGENT_SCREENPOP.format(agent_id=_token(agent_id))


def cdr_intake_leg(site: str) -> str:
    """Subject of the legs bound for the CDR database ``site`` (CdrSettings.intake_site)."""
    return CDR_INTAKE_LEG.format(site=_token(site))


def acd_intake_event(log_id: str) -> str:
    """Subject of the ACD's call events bound for the database whose call log id is ``log_id``."""
    return ACD_INTAKE_EVENT.format(log_id=_token(log_id))


def _token(value: str) -> str:
    """A value used as one subject token: no dots, wildcards or spaces, never empty."""
    if not value or any(c in value for c in ".*> \t\r\n"):
        raise ValueError(f"{value!r} cannot be a NATS subject token")
    return value


STREAMS: tuple[StreamSpec, ...] = (
    StreamSpec(CALLS, (CALL_EVENTS_ALL,), max_age=7 * 86400, description="call lifecycle facts"),
    StreamSpec(CDRS, ("careline.cdr.>",), description="call detail records (R-CDR1)"),
    StreamSpec(LEDGER, ("careline.ledger.>",), description="ledger postings (design §5)"),
    StreamSpec(
        CDR_INTAKE,
        ("careline.intake.cdr.>",),
        # No max_age: a leg leaves only when the CDR writer has committed it (the backlog alarm fires long
        # before the disk fills). Work-queue retention: acked (committed) legs leave; its size is the backlog.
        retention="workqueue",
        description="legs' hangup headers waiting to become CDRs (issue 15, R-CDR1)",
    ),
    StreamSpec(
        ACD_INTAKE,
        ("careline.intake.acd.>",),
        # As CDR_INTAKE: no max_age, work queue; an event leaves once the ACD's writer committed it.
        retention="workqueue",
        description="ACD call events waiting to become statistics facts (issue 15, R-STAT1)",
    ),
)

BUCKETS: tuple[BucketSpec, ...] = (
    BucketSpec(KV_CALL_OWNER, ttl=86400),
    BucketSpec(KV_AGENT_STATE),
    BucketSpec(KV_QUEUE_MEMBERS, ttl=86400),
)


@dataclass(frozen=True)
class Entry:
    """One row of SUBJECTS.md: constant name, value, kind, protobuf message (careline.v1) or ""."""

    name: str
    value: str
    kind: str
    message: str


CATALOG: tuple[Entry, ...] = (
    Entry("CALL_EVENT", CALL_EVENT, "jetstream", "CallStarted | CallAnswered | CallBridged | CallHungUp"),
    Entry("CDR_CREATED", CDR_CREATED, "jetstream", "Cdr"),
    Entry("LEDGER_POSTED", LEDGER_POSTED, "jetstream", "LedgerPosting"),
    Entry("CDR_INTAKE_LEG", CDR_INTAKE_LEG, "intake", ""),
    Entry("ACD_INTAKE_EVENT", ACD_INTAKE_EVENT, "intake", ""),
    Entry("ACD_ENQUEUE", ACD_ENQUEUE, "request", "EnqueueRequest -> EnqueueReply"),
    Entry("CRM_CALLER_LOOKUP", CRM_CALLER_LOOKUP, "request", "CallerLookupRequest -> CallerLookupReply"),
    Entry("BILLING_CARD_AUTH", BILLING_CARD_AUTH, "request", "CardAuthRequest -> CardAuthReply"),
    Entry("BILLING_TARIFF", BILLING_TARIFF, "request", "TariffRequest -> TariffReply"),
    Entry("BILLING_REGISTER", BILLING_REGISTER, "request", "RegistrationRequest -> RegistrationReply"),
    Entry(
        "BILLING_CONSULTATION_AUTH",
        BILLING_CONSULTATION_AUTH,
        "request",
        "ConsultationAuthRequest -> ConsultationAuthReply",
    ),
    Entry(
        "CRM_APPOINTMENT_BOOK", CRM_APPOINTMENT_BOOK, "request", "AppointmentBookRequest -> AppointmentReply"
    ),
    Entry(
        "CRM_APPOINTMENT_CANCEL",
        CRM_APPOINTMENT_CANCEL,
        "request",
        "AppointmentCancelRequest -> AppointmentReply",
    ),
    Entry(
        "CRM_APPOINTMENT_READBACK",
        CRM_APPOINTMENT_READBACK,
        "request",
        "AppointmentReadBackRequest -> AppointmentReply",
    ),
    Entry("CRM_INFO_LOOKUP", CRM_INFO_LOOKUP, "request", "InfoLookupRequest -> InfoLookupReply"),
    Entry("CRM_COMPLAINT_FILE", CRM_COMPLAINT_FILE, "request", "ComplaintFileRequest -> ComplaintFileReply"),
    Entry(
        "CRM_REGISTRATION_HOLD",
        CRM_REGISTRATION_HOLD,
        "request",
        "RegistrationHoldRequest -> RegistrationSeatReply",
    ),
    Entry(
        "CRM_REGISTRATION_RELEASE",
        CRM_REGISTRATION_RELEASE,
        "request",
        "RegistrationSeatRef -> RegistrationSeatReply",
    ),
    Entry(
        "CRM_REGISTRATION_CHECKIN",
        CRM_REGISTRATION_CHECKIN,
        "request",
        "RegistrationSeatRef -> RegistrationSeatReply",
    ),
    Entry(
        "CRM_REGISTRATION_STATUS",
        CRM_REGISTRATION_STATUS,
        "request",
        "RegistrationSeatRef -> RegistrationSeatReply",
    ),
    Entry(
        "CRM_PATIENT_LANGUAGE_SET",
        CRM_PATIENT_LANGUAGE_SET,
        "request",
        "PatientLanguageSetRequest -> PatientLanguageSetReply",
    ),
    Entry("AGENT_SCREENPOP", AGENT_SCREENPOP, "push", "AgentOffered"),
    Entry("ACD_CALL_END_REQUEST", ACD_CALL_END_REQUEST, "push", "CallEndRequest"),
    Entry("ACD_ALARM", ACD_ALARM, "push", "Alarm"),
    Entry("IVR_PLAYBACK_FAILED", IVR_PLAYBACK_FAILED, "push", "PlaybackFailed"),
    Entry("CALLS", CALLS, "stream", ""),
    Entry("CDRS", CDRS, "stream", ""),
    Entry("LEDGER", LEDGER, "stream", ""),
    Entry("CDR_INTAKE", CDR_INTAKE, "stream", ""),
    Entry("ACD_INTAKE", ACD_INTAKE, "stream", ""),
    Entry("KV_CALL_OWNER", KV_CALL_OWNER, "kv", ""),
    Entry("KV_AGENT_STATE", KV_AGENT_STATE, "kv", ""),
    Entry("KV_QUEUE_MEMBERS", KV_QUEUE_MEMBERS, "kv", ""),
)
