"""The append-only, hash-chained audit log of every careline service (issue 9 §3, R-ADM2, design §6).

Public surface:
    AuditEntry (.for_request(request, action, target, ...), .by(principal, ...), .by_system(service, ...)),
    Outcome
    append(session, entry, service=...)  inside the caller's transaction
    AuditLog(sessions, service=...).record(entry) / .append(session, entry)
    verify_chain(session) -> ChainReport, search(session, AuditFilter) -> rows, audit_router()
    migrate_audit(url), client_address(request)
See docs/adr/0003-identity-and-audit.md.
"""

from careline.core.audit.migrate import migrate_audit
from careline.core.audit.query import AuditFilter, AuditRecord, audit_router, search
from careline.core.audit.verify import ChainReport, verify_chain
from careline.core.audit.writer import AuditEntry, AuditLog, Outcome, append, client_address

__all__ = [
    "AuditEntry",
    "AuditFilter",
    "AuditLog",
    "AuditRecord",
    "ChainReport",
    "Outcome",
    "append",
    "audit_router",
    "client_address",
    "migrate_audit",
    "search",
    "verify_chain",
]
