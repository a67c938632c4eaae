"""The ACD's call log: statistics facts made durable on JetStream, then written to the database (R-STAT1).

:mod:`.log` is the call log the distributor records into (and the workload sampler); :mod:`.intake`
queues events for JetStream, :mod:`.writer` writes them in batches, :mod:`.backlog` measures and alarms on
what waits (issue 15).
"""

from careline.acd.call_log.log import CallLog, CallLogWriting, WorkloadSampler, start_writing

__all__ = ["CallLog", "CallLogWriting", "WorkloadSampler", "start_writing"]
