"""What happens when a leg hangs up (R-CDR1): map the event, store the CDR once, publish it once.

The publisher is injected (a coroutine taking the stored row), so this module knows nothing of NATS.
Storing comes first: the database is the record of truth; the ``published`` flag makes publishing
at-least-once across a crash between the two (JetStream drops the repeat by its Nats-Msg-Id).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from careline.cdr import domain
from careline.cdr.mapping import MappingError, cdr_from_headers
from careline.cdr.models import CdrRow
from careline.core.db import retry_locked

log = logging.getLogger("careline.cdr")

Publisher = Callable[[CdrRow], Awaitable[None]]


class CdrRecorder:
    def __init__(self, sessions: Callable[[], AsyncSession], publish: Publisher | None = None) -> None:
        self._sessions = sessions
        self._publish = publish
        self.stored = 0
        self.duplicates = 0

    async def on_hangup_complete(self, headers: Mapping[str, str]) -> CdrRow | None:
        """Handle one CHANNEL_HANGUP_COMPLETE; returns the stored row (None if unusable)."""
        try:
            cdr = cdr_from_headers(headers)
        except MappingError as err:
            log.warning("hangup event ignored: %s", err)
            return None
        # idempotent (the leg uuid is unique), so a write SQLite refused as locked is simply run again
        return await retry_locked(lambda: self._store_and_publish(cdr))

    async def _store_and_publish(self, cdr) -> CdrRow:
        async with self._sessions() as session:
            row, created = await domain.record_leg(cdr, session=session)
            if created:
                self.stored += 1
                log.info("CDR stored", extra={"call_uuid": cdr.uuid, "call_id": cdr.call_id})
            else:
                self.duplicates += 1
                log.info("repeated hangup for a stored CDR", extra={"call_uuid": cdr.uuid})
            if row.published or self._publish is None:
                return row
            try:
                await self._publish(row)
            except Exception:  # the CDR is safe in the database; the next repeat or a retry publishes it
                log.exception("CDR not published", extra={"call_uuid": cdr.uuid})
                return row
            await domain.mark_published(cdr.uuid, session=session)
            row.published = True
            return row
