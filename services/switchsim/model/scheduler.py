"""The core scheduler (switch_scheduler.c) as sched_hangup / sched_del / show tasks see it: tasks with
ids from one counter, grouped by name (the uuid for sched_hangup); a later sched_hangup ADDS a task, the
earliest fires; ADD_SCHEDULE / DEL_SCHEDULE events as the sched_hangup capture shows (issue 8)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from .events import make_event

# mod_hash's cleanup task is always there on the capture machine (task 3; ours come after it).
SYSTEM_TASKS = [("limit_hash_cleanup", "mod_hash")]


@dataclass
class Task:
    id: int
    desc: str
    group: str
    runtime: float  # simulated epoch seconds
    handle: object = field(default=None, repr=False)  # the asyncio task

    def headers(self) -> list[tuple[str, str]]:
        return [("Task-ID", str(self.id)), ("Task-Desc", self.desc), ("Task-Group", self.group),
                ("Task-Runtime", str(int(self.runtime)))]  # fmt: skip


class Scheduler:
    def __init__(self, core):
        self.core = core
        self._ids = itertools.count(len(SYSTEM_TASKS) + 3)
        self.tasks: dict[int, Task] = {}
        self.system = [
            Task(3 + i, desc, group, core.now() + 900) for i, (desc, group) in enumerate(SYSTEM_TASKS)
        ]

    def add(self, group: str, seconds: float, action, desc: str = "switch_ivr_schedule_hangup") -> Task:
        task = Task(next(self._ids), desc, group, self.core.now() + seconds)

        async def fire():
            await self.core.sleep(seconds)
            self.tasks.pop(task.id, None)
            action()
            self.core.fire(make_event("DEL_SCHEDULE", task.headers()))

        self.tasks[task.id] = task
        task.handle = self.core.spawn(fire())
        self.core.fire(make_event("ADD_SCHEDULE", task.headers()))
        return task

    def delete(self, what: str) -> int:
        """sched_del <id | group>: how many tasks were removed."""
        gone = [t for t in self.tasks.values() if (str(t.id) == what if what.isdigit() else t.group == what)]
        for task in gone:
            self.tasks.pop(task.id, None)
            task.handle.cancel()
        if gone:  # deleted tasks are reaped, and announced, on the scheduler thread's next pass (~0.5 s)
            self.core.spawn(self._announce_deleted(gone))
        return len(gone)

    async def _announce_deleted(self, tasks: list[Task]) -> None:
        await self.core.sleep(0.5)
        for task in tasks:
            self.core.fire(make_event("DEL_SCHEDULE", task.headers()))

    def show(self) -> str:
        rows = sorted(self.system + list(self.tasks.values()), key=lambda t: t.id)
        lines = ["task_id,task_desc,task_group,task_runtime,task_sql_manager,hostname"]
        lines += [f"{t.id},{t.desc},{t.group},{int(t.runtime)},0,vm" for t in rows]
        return "\n".join(lines) + f"\n\n{len(rows)} total.\n"


def add_task(core, group: str, seconds: float, action) -> Task:
    """Run `action()` after `seconds` simulated seconds, as one task of `group`."""
    return core.scheduler.add(group, seconds, action)


def delete_group(core, group: str) -> int:
    return core.scheduler.delete(group)
