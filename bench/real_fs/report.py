"""The bench's verdicts and tables: one row (and its detail line) per rate and side, and the issue's
table (markdown) at the end."""

from __future__ import annotations

UNSERVED_LIMIT = 0.01  # a side fails a rate above 1 % unserved callers,
P99_LIMIT_MS = 5000.0  # a p99 wait to agent above 5 s, or any record missing


def verdict(row: dict) -> str:
    offered = row["offered"] or 1
    problems = []
    unserved = (row["offered"] - row["served"]) / offered
    if unserved > UNSERVED_LIMIT:
        problems.append(f"{unserved:.1%} unserved")
    p99 = row["wait_ms"]["p99"]
    if p99 is None or p99 > P99_LIMIT_MS:
        problems.append("p99 wait > 5 s")
    if row["records"] is not None and row["records"] < row["legs"]:
        problems.append(f"{row['legs'] - row['records']} records lost")
    if row["offered"] < 0.95 * row["calls_rung"]:
        problems.append(f"only {row['offered']} of {row['calls_rung']} callers reached the switch")
    return "; ".join(problems) or "ok"


def careline_cpu(row: dict) -> float | None:
    names = [n for n in ("acd", "cdr", "nats") if n in row["cpu_s"]]
    return sum(row["cpu_s"][n] for n in names) if names else None


def _ms(pair: dict) -> str:
    return "-" if pair["p50"] is None else f"{pair['p50']:.0f}/{pair['p99']:.0f}"


HEADER = (
    f"{'calls/s':>7} {'side':<14}{'offered':>8}{'served':>8}{'wait p50/p99 ms':>17}{'bridge p50/p99':>16}"
    f"{'records/legs':>14}{'FS CPU-s/call':>15}{'careline CPU-s/call (acd+cdr+nats)':>36}  verdict"
)


def format_row(row: dict) -> str:
    n = row["offered"] or 1
    fs = row["cpu_s"].get("freeswitch")
    cl = careline_cpu(row)
    parts = "+".join(f"{row['cpu_s'][k] / n:.4f}" for k in ("acd", "cdr", "nats") if k in row["cpu_s"])
    records = "-" if row["records"] is None else f"{row['records']}/{row['legs']}"
    return (
        f"{row['rate']:>7g} {row['side']:<14}{row['offered']:>8}{row['served']:>8}{_ms(row['wait_ms']):>17}"
        f"{_ms(row['bridge_ms']):>16}{records:>14}{'-' if fs is None else f'{fs / n:.4f}':>15}"
        f"{'-' if cl is None else f'{cl / n:.4f} ({parts})':>36}  {row['verdict']}"
    )


def format_detail(row: dict) -> str:
    """Where the wait went (switch clock, 20 ms resolution) and, for careline, the IVR's hand-over."""
    text = (
        f"{'':8}routing (answer → agent leg) {_ms(row['to_ring_ms'])} ms, answer → bridge "
        f"{_ms(row['answer_to_bridge_ms'])} ms, {row['seconds']:g} s"
    )
    if row.get("idle_cpu_s_per_s"):
        text += f"; idle before the step {sum(row['idle_cpu_s_per_s'].values()):.3f} CPU-s/s"
    if "handover_ms" in row:
        h = row["handovers"]
        text += f"; hand-over {_ms(row['handover_ms'])} ms, {h.get('timed_out', 0)} timed out"
        refused = {k: v for k, v in h.items() if k not in ("accepted", "timed_out")}
        if refused:
            text += f", refused {refused}"
    return text


def summary(rows: list[dict]) -> str:
    """The issue's table: one line per rate, both sides."""
    lines = [
        "| calls/s | wait to agent p50/p99 ms, mod_callcenter | careline | to bridge p50/p99 ms, "
        "mod_callcenter / careline | careline records stored/legs | FS CPU-s/call (mod_callcenter run / "
        "careline run) | careline CPU-s/call (acd+cdr+nats) | careline / FS |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for rate in dict.fromkeys(r["rate"] for r in rows):
        mc = next((r for r in rows if r["rate"] == rate and r["side"] == "mod_callcenter"), None)
        cl = next((r for r in rows if r["rate"] == rate and r["side"] == "careline"), None)
        bridge = f"{_bridge(mc)} / {_bridge(cl)}"
        records = "-" if cl is None else f"{cl['records']}/{cl['legs']}"
        cl_cpu = "-" if cl is None else f"{careline_cpu(cl) / max(1, cl['offered']):.4f}"
        ratio = "-"
        if cl is not None and cl["cpu_s"].get("freeswitch"):
            ratio = f"{careline_cpu(cl) / cl['cpu_s']['freeswitch']:.2f}"
        lines.append(
            f"| {rate:g} | {_wait(mc)} | {_wait(cl)} | {bridge} | {records} | {_fs(mc)} / {_fs(cl)} "
            f"| {cl_cpu} | {ratio} |"
        )
    return "\n".join(lines)


def _wait(r: dict | None) -> str:
    if r is None:
        return "-"
    text = f"{_ms(r['wait_ms'])}, {r['served'] / max(1, r['offered']):.1%} served"
    return text if r["verdict"] == "ok" else f"{text} ({r['verdict']})"


def _bridge(r: dict | None) -> str:
    return "-" if r is None else _ms(r["bridge_ms"])


def _fs(r: dict | None) -> str:
    if r is None or "freeswitch" not in r["cpu_s"]:
        return "-"
    return f"{r['cpu_s']['freeswitch'] / max(1, r['offered']):.4f}"
