"""The core scheduler's task groups (sched_hangup, sched_del): tasks accumulate per group, as in
FreeSWITCH 1.10+ where each `sched_hangup` adds a task named by the uuid and `sched_del` drops them all
(issue 8; design §7)."""

from __future__ import annotations


def add_task(core, group: str, seconds: float, action) -> None:
    """Run `action()` after `seconds` simulated seconds, as one task of `group`."""

    async def fire():
        await core.sleep(seconds)
        tasks = core.sched.get(group, [])
        if task in tasks:
            tasks.remove(task)
        action()

    task = core.spawn(fire())
    core.sched.setdefault(group, []).append(task)


def delete_group(core, group: str) -> int:
    """Cancel every task of `group`; returns how many there were."""
    tasks = core.sched.pop(group, [])
    for task in tasks:
        task.cancel()
    return len(tasks)
