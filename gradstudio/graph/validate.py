"""Whole-graph validation: a list of problems, each tied to a node and readable by a person."""
from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from ..ops.shapes import unify
from .model import Graph, GraphError


@dataclass(frozen=True)
class Problem:
    node: str | None
    message: str

    def __str__(self) -> str:
        return self.message


def validate(graph: Graph, output: str | None = None) -> list[Problem]:
    """Every problem of the graph. With ``output`` (a node id), the graph is checked for
    differentiating that node, so several final nodes are not a problem."""
    problems: list[Problem] = []
    if not nx.is_directed_acyclic_graph(graph.nx):
        cycle = nx.find_cycle(graph.nx)
        names = [graph.nodes[a].name for a, _ in cycle] + [graph.nodes[cycle[0][0]].name]
        return [Problem(cycle[0][0], "the graph has a cycle: " + " -> ".join(names))]
    for node in graph.nodes.values():
        for port, edge in zip(node.opdef.port_names(), graph.in_edges(node.id)):
            if edge is None:
                problems.append(Problem(node.id, f"{node.name}: input {port!r} is not connected"))
            elif (graph.nodes[edge.src].op == "input" and graph.nodes[edge.src].attrs["dtype"] == "int"
                  and node.opdef.port(port).differentiable):
                problems.append(Problem(node.id, f"{node.name}: input {port!r} gets integer labels "
                                        f"from {graph.nodes[edge.src].name}; use a labels port"))
        problem = graph.problem(node.id)
        if problem:
            problems.append(Problem(node.id, f"{node.name}: {problem}"))
        if node.op == "input" and node.attrs["value"] is not None:
            reason = unify(node.attrs["shape"], np.shape(node.attrs["value"]), {})
            if reason:
                problems.append(Problem(node.id, f"{node.name}: default value: {reason}"))
    if not graph.nodes:
        problems.append(Problem(None, "the graph is empty"))
    elif output is not None:
        if output not in graph.nodes:
            problems.append(Problem(None, f"there is no node {output!r} to differentiate"))
    else:
        try:
            output_node(graph)
        except GraphError as exc:
            problems.append(Problem(None, str(exc)))
    return problems


def output_node(graph: Graph) -> str:
    """The node to differentiate: the chosen output, else the only sink, else the only
    loss among the sinks."""
    if graph.output is not None:
        return graph.output
    sinks = [n for n in graph.nodes.values()
             if graph.nx.out_degree(n.id) == 0 and not n.opdef.is_source]
    if len(sinks) == 1:
        return sinks[0].id
    losses = [n for n in sinks if n.opdef.category == "Losses"]
    if len(losses) == 1:
        return losses[0].id
    if not sinks:
        raise GraphError("the graph has no output: add an operation after the inputs")
    raise GraphError("the graph has several outputs (" + ", ".join(n.name for n in sinks[:5])
                     + "); choose the one to differentiate")
