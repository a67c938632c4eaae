"""Flow validation that names the problem (R-IVR4): what a schema cannot say about a graph.

Each problem is one sentence naming the node and what is wrong, e.g.
``node 'main': key 1 goes to unknown node 'apointments'``. Checks: unknown targets, unreachable nodes,
missing prompts (a prompt name the store does not know), loops a caller could never leave by pressing a
key, a ``human`` that is not a transfer, a failure path that hangs up (R-IVR5), unknown sub-flows.
"""

from __future__ import annotations

from collections.abc import Callable

from careline.ivr.flowdef import (
    INPUT_TYPES,
    FlowDefinition,
    HangupNode,
    SubflowNode,
    TransferNode,
    is_prompt_name,
    prompts_of,
    targets,
)


def validate(
    flow: FlowDefinition,
    *,
    prompt_exists: Callable[[str], bool] = lambda _name: True,
    flow_exists: Callable[[str], bool] = lambda _name: True,
) -> list[str]:
    """Every problem found, in a stable order; empty when the flow is sound."""
    problems: list[str] = []
    nodes = flow.nodes
    for special in ("start", "human"):
        node_id = getattr(flow, special)
        if node_id not in nodes:
            problems.append(f"{special} node '{node_id}' does not exist")
    if flow.human in nodes and not isinstance(nodes[flow.human], TransferNode):
        problems.append(f"human node '{flow.human}' must be a transfer to an ACD queue")
    for node_id, node in nodes.items():
        for label, target in targets(node):
            if target not in nodes:
                problems.append(f"node '{node_id}': {label} goes to unknown node '{target}'")
            elif label == "on_fail" and isinstance(nodes[target], HangupNode):
                problems.append(f"node '{node_id}': on_fail must reach a human, not hang up (R-IVR5)")
        for ref in prompts_of(node):
            if is_prompt_name(ref) and not prompt_exists(ref):
                problems.append(f"node '{node_id}': prompt '{ref}' does not exist")
        if isinstance(node, SubflowNode) and not flow_exists(node.flow):
            problems.append(f"node '{node_id}': sub-flow '{node.flow}' is not a published flow")
        if getattr(node, "type", "") == "collect" and node.min_digits > node.max_digits:
            problems.append(f"node '{node_id}': min_digits is greater than max_digits")
    if flow.goodbye_prompt and is_prompt_name(flow.goodbye_prompt) and not prompt_exists(flow.goodbye_prompt):
        problems.append(f"goodbye prompt '{flow.goodbye_prompt}' does not exist")
    if problems:
        return problems  # the graph checks below need every edge to land
    problems += _unreachable(flow)
    problems += _loops_without_input(flow)
    return problems


def _unreachable(flow: FlowDefinition) -> list[str]:
    has_input = any(n.type in INPUT_TYPES for n in flow.nodes.values())
    seen: set[str] = set()
    stack = [flow.start] + ([flow.human] if has_input else [])  # key 0 reaches the human node
    while stack:
        node_id = stack.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        node = flow.nodes[node_id]
        stack.extend(t for _, t in targets(node))
        if node.type in INPUT_TYPES and not getattr(node, "on_fail", None):
            stack.append(flow.human)
    return [f"node '{n}' is unreachable from start '{flow.start}'" for n in flow.nodes if n not in seen]


def _loops_without_input(flow: FlowDefinition) -> list[str]:
    """A cycle through no menu or collect node would play forever: find one and name it."""
    graph = {
        node_id: [t for _, t in targets(node)]
        for node_id, node in flow.nodes.items()
        if node.type not in INPUT_TYPES
    }
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(graph, white)
    path: list[str] = []

    def visit(node_id: str) -> list[str] | None:
        colour[node_id] = grey
        path.append(node_id)
        for target in graph[node_id]:
            if target not in graph:
                continue  # an input node breaks the loop
            if colour[target] == grey:
                return path[path.index(target) :] + [target]
            if colour[target] == white and (cycle := visit(target)):
                return cycle
        path.pop()
        colour[node_id] = black
        return None

    for node_id in graph:
        if colour[node_id] == white and (cycle := visit(node_id)):
            return [f"loop with no input: {' -> '.join(cycle)} (add a menu or collect node)"]
    return []
