"""The one gevent hub thread per process that owns every greenswitch connection (design §2).

asyncio never calls greenswitch directly (it would raise LoopExit from the wrong hub):
- asyncio → hub: jobs go in a deque and a ref'd ``hub.loop.async_()`` watcher wakes the hub, which
  spawns one greenlet per job;
- hub → asyncio: results and events go through :class:`AsyncioPoster`, one ``call_soon_threadsafe``
  per batch, drained in slices so asyncio timers are not starved (defect 8 on the asyncio side).

The thread is reference-counted and stopped when its last user releases it: a hub left running
crashed the interpreter at exit in the evaluation.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

import gevent
import gevent.event

log = logging.getLogger("careline.esl.hub")

DRAIN_SLICE = 256  # callbacks run per asyncio loop iteration before letting timers in


class AsyncioPoster:
    """Hub thread → asyncio loop, batched: one thread-safe wake-up per burst of callbacks."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self._queue: deque[tuple[Callable[..., Any], tuple]] = deque()
        self._scheduled = False

    def post(self, callback: Callable[..., Any], *args: Any) -> None:
        """Called from the hub thread."""
        self._queue.append((callback, args))
        if not self._scheduled:
            self._scheduled = True
            try:
                self.loop.call_soon_threadsafe(self._drain)
            except RuntimeError:  # loop closed: nobody is waiting any more
                self._queue.clear()

    def _drain(self) -> None:
        self._scheduled = False
        queue = self._queue
        for _ in range(DRAIN_SLICE):
            if not queue:
                return
            callback, args = queue.popleft()
            try:
                callback(*args)
            except Exception:
                log.exception("esl callback failed")
        if queue and not self._scheduled:
            self._scheduled = True
            self.loop.call_soon(self._drain)


class Hub:
    """A gevent hub running in its own daemon thread; ``submit`` is safe from any thread."""

    _shared: Hub | None = None
    _shared_users = 0
    _shared_lock = threading.Lock()

    def __init__(self, name: str = "careline-esl-hub"):
        self._jobs: deque[tuple[Callable[..., Any], tuple]] = deque()
        self._ready = threading.Event()
        self._watcher = None
        self._stop_event: gevent.event.Event | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("gevent hub thread did not start")

    # -- process-wide shared hub ------------------------------------------------------------------
    @classmethod
    def acquire(cls) -> Hub:
        with cls._shared_lock:
            if cls._shared is None or not cls._shared.alive:
                cls._shared = Hub()
                cls._shared_users = 0
            cls._shared_users += 1
            return cls._shared

    @classmethod
    def release(cls, hub: Hub) -> None:
        with cls._shared_lock:
            if hub is not cls._shared:
                return
            cls._shared_users -= 1
            if cls._shared_users > 0:
                return
            cls._shared = None
        hub.stop()

    # -- thread body --------------------------------------------------------------------------------
    def _run(self) -> None:
        hub = gevent.get_hub()
        self._stop_event = gevent.event.Event()
        self._watcher = hub.loop.async_()  # ref'd: keeps the loop alive while idle
        self._watcher.start(self._wake)
        self._ready.set()
        try:
            self._stop_event.wait()
            gevent.sleep(0.05)  # let closing greenlets finish their last writes
        finally:
            self._watcher.stop()
            self._watcher.close()
            hub.destroy(destroy_loop=True)
            log.debug("esl hub thread stopped")

    def _wake(self) -> None:
        jobs = self._jobs
        while jobs:
            fn, args = jobs.popleft()
            gevent.spawn(fn, *args)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and not (self._stop_event and self._stop_event.is_set())

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` in a new greenlet on the hub."""
        self._jobs.append((fn, args))
        self._watcher.send()

    def call(self, poster: AsyncioPoster, fn: Callable[..., Any], *args: Any) -> asyncio.Future:
        """Run ``fn`` on the hub; the returned asyncio future gets its result or exception."""
        future = poster.loop.create_future()

        def job() -> None:
            try:
                result = fn(*args)
            except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine
                if isinstance(exc, gevent.GreenletExit):
                    exc = ConnectionError("hub job killed")
                poster.post(_set_exception, future, exc)
            else:
                poster.post(_set_result, future, result)

        self.submit(job)
        return future

    def stop(self, timeout: float = 5.0) -> None:
        if self._stop_event is not None and self._thread.is_alive():
            self.submit(self._stop_event.set)
            self._thread.join(timeout)


def _set_result(future: asyncio.Future, result: Any) -> None:
    if not future.done():
        future.set_result(result)


def _set_exception(future: asyncio.Future, exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
