"""Assign judges (penilai) to work units (satuan kerja): K judges each, no conflicts, even loads.

Plain data in and out, so it runs without an app. The problem is a flow network:
source -> unit (capacity: judges still missing) -> judge (capacity 1, only without a
conflict) -> sink (capacity: load limit minus the judge's existing load). ``assign``
searches the smallest load limit whose maximum flow covers every unit, then moves
single assignments along residual paths from heavier to lighter judges until no move
can bring two loads closer.

What ``assign`` guarantees when it returns:

* every unit holds at least ``per_unit`` distinct judges (or its own number in ``needs``;
  exactly that many unless its kept existing judges already exceed it), none in conflict;
* existing assignments whose judge is still listed and not in conflict are kept
  unchanged; only the missing judges are added;
* every judge's load (kept plus new assignments) stays within ``cap``;
* the load vector is the most even one reachable without moving existing assignments:
  no feasible move of one assignment from a judge to another with at least two fewer
  units remains. On these flow problems that makes it decreasingly minimal: the
  maximum load is the smallest possible, the minimum load is the largest possible,
  hence the spread max - min is the smallest possible too;
* the same input gives the same output, whatever the order of ``units`` and ``judges``.

Otherwise it raises ``AssignmentError`` naming the units that cannot be covered.
"""
from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

__all__ = ["AssignmentError", "Judge", "UnitToJudge", "assign", "conflicts"]

SHOWN_UNITS = 10  # an error message lists at most this many units, then "and N more"


@dataclass(frozen=True)
class Judge:
    """A judge; ``affiliation`` is the code of their work unit, ``affiliation_province`` its province."""

    id: str
    affiliation: str | None = None
    affiliation_province: str | None = None


@dataclass(frozen=True)
class UnitToJudge:
    """A unit to be judged; ``province`` is its province code (its own code for a provinsi unit)."""

    code: str
    province: str | None = None


class AssignmentError(ValueError):
    """No assignment meets the constraints; ``units`` holds the codes of the units at fault."""

    def __init__(self, message: str, units: Iterable[str] = ()):
        super().__init__(message)
        self.units = tuple(units)


def conflicts(judge: Judge, unit: UnitToJudge, *, same_province: bool) -> bool:
    """Whether ``judge`` may not judge ``unit``: their own unit, or (``same_province``) its province."""
    if judge.affiliation is not None and judge.affiliation == unit.code:
        return True
    return (same_province and judge.affiliation_province is not None
            and judge.affiliation_province == unit.province)


def assign(units: Iterable[UnitToJudge], judges: Iterable[Judge], *, per_unit: int = 2,
           cap: int | None = None, same_province: bool = True,
           existing: Mapping[str, Sequence[str]] | None = None,
           needs: Mapping[str, int] | None = None) -> dict[str, list[str]]:
    """Map each unit code to its judge ids: ``per_unit`` each, no conflict, loads even and within ``cap``.

    ``needs`` overrides ``per_unit`` for single units (e.g. one judge fewer where a judge
    who is no longer listed has already completed the unit)."""
    if per_unit < 0 or any(n < 0 for n in (needs or {}).values()):
        raise ValueError(f"per_unit must not be negative, got {per_unit}")
    if cap is not None and cap < 0:
        raise ValueError(f"cap must not be negative, got {cap}")
    units = _sorted_unique(units, "code")
    judges = _sorted_unique(judges, "id")
    kept = _kept(units, judges, existing or {}, same_province)
    load = Counter(judge_id for ids in kept.values() for judge_id in ids)
    candidates = {unit.code: [index for index, judge in enumerate(judges)
                              if judge.id not in kept[unit.code]
                              and not conflicts(judge, unit, same_province=same_province)]
                  for unit in units}
    wanted = {unit.code: (needs or {}).get(unit.code, per_unit) for unit in units}
    _check_units(units, kept, candidates, wanted, per_unit)
    _check_existing_loads(judges, load, kept, cap)
    plan = _Plan(units, judges, kept, candidates, wanted,
                 [load[judge.id] for judge in judges])
    plan.search_limit(cap)
    plan.balance()
    return plan.result()


def _sorted_unique(items, key: str) -> list:
    ordered = sorted(items, key=lambda item: getattr(item, key))
    repeated = sorted({getattr(a, key) for a, b in zip(ordered, ordered[1:])
                       if getattr(a, key) == getattr(b, key)})
    if repeated:
        raise ValueError(f"duplicate {key}: {', '.join(repeated)}")
    return ordered


def _kept(units, judges, existing, same_province) -> dict[str, list[str]]:
    """Existing judges per unit that are still listed and not in conflict, in their order."""
    by_id = {judge.id: judge for judge in judges}
    kept = {}
    for unit in units:
        ids = dict.fromkeys(existing.get(unit.code, ()))
        kept[unit.code] = [judge_id for judge_id in ids if judge_id in by_id
                           and not conflicts(by_id[judge_id], unit, same_province=same_province)]
    return kept


def _check_units(units, kept, candidates, wanted, per_unit) -> None:
    short = [(unit.code, len(kept[unit.code]) + len(candidates[unit.code])) for unit in units]
    short = [(code, count) for code, count in short if count < wanted[code]]
    if short:
        reasons = [f"unit {code}: only {count} judge{'' if count == 1 else 's'} without a conflict, "
                   f"{wanted[code]} needed" for code, count in short]
        raise AssignmentError(f"cannot assign {per_unit} judges to every unit: "
                              + _listing(reasons), [code for code, _ in short])


def _check_existing_loads(judges, load, kept, cap) -> None:
    if cap is None:
        return
    over = [judge.id for judge in judges if load[judge.id] > cap]
    if over:
        units = sorted(code for code, ids in kept.items() if set(ids) & set(over))
        reasons = [f"judge {judge_id} already holds {load[judge_id]} units" for judge_id in over]
        raise AssignmentError(f"existing assignments exceed the cap of {cap}: "
                              + _listing(reasons), units)


def _listing(items: Sequence[str], separator: str = "; ") -> str:
    shown = separator.join(items[:SHOWN_UNITS])
    hidden = len(items) - SHOWN_UNITS
    return shown + (f"{separator}and {hidden} more" if hidden > 0 else "")


def _rotated(items: list, shift: int) -> list:
    if not items:
        return items
    shift %= len(items)
    return items[shift:] + items[:shift]


class _Network:
    """A flow network with Dinic's maximum flow; edge ``e``'s reverse is ``e ^ 1``."""

    def __init__(self, size: int):
        self.adjacent: list[list[int]] = [[] for _ in range(size)]
        self.head: list[int] = []
        self.residual: list[int] = []

    def add_edge(self, tail: int, head: int, capacity: int) -> int:
        edge = len(self.head)
        self.head += [head, tail]
        self.residual += [capacity, 0]
        self.adjacent[tail].append(edge)
        self.adjacent[head].append(edge + 1)
        return edge

    def flow(self, edge: int) -> int:
        return self.residual[edge ^ 1]

    def push(self, path: Sequence[int], amount: int = 1) -> None:
        for edge in path:
            self.residual[edge] -= amount
            self.residual[edge ^ 1] += amount

    def max_flow(self, source: int, sink: int) -> None:
        while True:
            level = self.reachable(source)
            if level[sink] < 0:
                return
            self._blocking_flow(source, sink, level)

    def reachable(self, source: int) -> list[int]:
        """Breadth-first levels over edges with residual capacity; -1 when unreachable."""
        level = [-1] * len(self.adjacent)
        level[source] = 0
        queue = deque([source])
        while queue:
            node = queue.popleft()
            for edge in self.adjacent[node]:
                if self.residual[edge] > 0 and level[self.head[edge]] < 0:
                    level[self.head[edge]] = level[node] + 1
                    queue.append(self.head[edge])
        return level

    def _blocking_flow(self, source: int, sink: int, level: list[int]) -> None:
        adjacent, head, residual = self.adjacent, self.head, self.residual
        pointer = [0] * len(adjacent)
        path: list[int] = []
        node = source
        while True:
            if node == sink:
                self.push(path, min(residual[edge] for edge in path))
                path, node = [], source
                continue
            edges = adjacent[node]
            while pointer[node] < len(edges):
                edge = edges[pointer[node]]
                if residual[edge] > 0 and level[head[edge]] == level[node] + 1:
                    break
                pointer[node] += 1
            else:  # dead end: retreat one step and skip the edge that led here
                if node == source:
                    return
                node = head[path.pop() ^ 1]
                pointer[node] += 1
                continue
            path.append(edge)
            node = head[edge]


class _Plan:
    """The flow network of one call of ``assign``, with its unit and judge indices."""

    def __init__(self, units, judges, kept, candidates, wanted, existing_load):
        self.units, self.judges, self.kept = units, judges, kept
        self.existing_load = existing_load
        self.source, self.sink = 0, 1 + len(units) + len(judges)
        self.network = _Network(self.sink + 1)
        self.need = [max(0, wanted[unit.code] - len(kept[unit.code])) for unit in units]
        self.unit_edges = [self.network.add_edge(self.source, self._unit(u), need)
                           for u, need in enumerate(self.need)]
        # Each unit lists its candidates from a different starting judge, so that the flow
        # mixes the pairs of co-judges instead of always pairing the same two.
        self.pair_edges = {(u, j): self.network.add_edge(self._unit(u), self._judge(j), 1)
                           for u, unit in enumerate(units)
                           for j in _rotated(candidates[unit.code], u)}
        self.judge_edges = [self.network.add_edge(self._judge(j), self.sink, 0)
                            for j in range(len(judges))]

    def _unit(self, u: int) -> int:
        return 1 + u

    def _judge(self, j: int) -> int:
        return 1 + len(self.units) + j

    def loads(self) -> list[int]:
        return [held + self.network.flow(edge)
                for held, edge in zip(self.existing_load, self.judge_edges)]

    def _try(self, limit: int) -> bool:
        """Raise every judge's limit to ``limit`` (never lower), augment, and say if all is covered."""
        residual = self.network.residual
        for held, edge in zip(self.existing_load, self.judge_edges):
            residual[edge] = max(0, limit - held) - self.network.flow(edge)
        self.network.max_flow(self.source, self.sink)
        return all(residual[edge] == 0 for edge in self.unit_edges)

    def search_limit(self, cap: int | None) -> None:
        """Leave the network at a maximum flow under the smallest feasible load limit."""
        if not self.judges:
            return  # _check_units made sure that no unit needs a judge
        total = sum(self.existing_load) + sum(self.need)
        low = max([math.ceil(total / len(self.judges)), *self.existing_load])
        high = cap if cap is not None else max(low, len(self.units))
        if self._search(min(low, high), high) is None:
            self._raise_over_cap(cap)

    def _search(self, low: int, high: int) -> int | None:
        """Smallest limit in ``low..high`` covering every unit (None if none), flow left under it.

        Tries ``low``, ``low + 1``, ``low + 3``, ... then bisects. A flow valid under one
        limit stays valid under every higher one, so each try resumes from the flow of the
        highest limit known to fail instead of starting empty.
        """
        bad = bad_state = None
        limit, step = low, 1
        while not self._try(limit):
            if limit >= high:
                return None
            bad, bad_state = limit, list(self.network.residual)
            limit, step = min(high, limit + step), step * 2
        good, good_state = limit, list(self.network.residual)
        while bad is not None and good - bad > 1:
            middle = (bad + good) // 2
            self.network.residual = list(bad_state)
            if self._try(middle):
                good, good_state = middle, list(self.network.residual)
            else:
                bad, bad_state = middle, list(self.network.residual)
        self.network.residual = good_state
        return good

    def _raise_over_cap(self, cap: int) -> None:
        level = self.network.reachable(self.source)
        units = [u for u in range(len(self.units)) if level[self._unit(u)] >= 0]
        judges = [j for j in range(len(self.judges)) if level[self._judge(j)] >= 0]
        missing = sum(self.network.residual[self.unit_edges[u]] for u in units)
        needed = self._search(cap + 1, max(cap + 1, len(self.units)))
        codes = [self.units[u].code for u in units]
        names = _listing([self.judges[j].id for j in judges], ", ") or "none"
        raise AssignmentError(
            f"loads above the cap of {cap} would be needed (a cap of {needed} would do): "
            f"{missing} assignment{'' if missing == 1 else 's'} still missing for "
            f"unit{'' if len(codes) == 1 else 's'} {_listing(codes, ', ')}, whose judges without "
            f"a conflict ({names}) are all at the cap", codes)

    def balance(self) -> None:
        """Move single assignments from heavier to lighter judges while a move evens two loads."""
        while self._improve():
            pass

    def _improve(self) -> bool:
        loads = self.loads()
        lightest = min(loads, default=0)
        for start in sorted(range(len(self.judges)), key=lambda j: (-loads[j], j)):
            if loads[start] - lightest < 2:
                return False
            path = self._path_to_lighter(start, loads[start] - 2, loads)
            if path:
                self.network.push(path)
                return True
        return False

    def _path_to_lighter(self, start: int, most: int, loads: list[int]) -> list[int] | None:
        """Residual path from judge ``start`` through units to the sink via a judge with load <= ``most``."""
        network, judge_base = self.network, self._judge(0)
        came_by = {self._judge(start): None}
        queue = deque([self._judge(start)])
        while queue:
            node = queue.popleft()
            if node >= judge_base and loads[node - judge_base] <= most:
                path, step = [self.judge_edges[node - judge_base]], node
                while came_by[step] is not None:
                    path.append(came_by[step])
                    step = network.head[came_by[step] ^ 1]
                path.append(self.judge_edges[start] ^ 1)  # start gives one back to the sink
                return path
            for edge in network.adjacent[node]:
                target = network.head[edge]
                if (network.residual[edge] > 0 and target not in came_by
                        and target not in (self.source, self.sink)):
                    came_by[target] = edge
                    queue.append(target)
        return None

    def result(self) -> dict[str, list[str]]:
        """Kept judges first, in their order, then the new ones by id."""
        added: dict[int, list[int]] = {u: [] for u in range(len(self.units))}
        for (u, j), edge in self.pair_edges.items():
            if self.network.flow(edge):
                added[u].append(j)
        return {unit.code: self.kept[unit.code] + [self.judges[j].id for j in sorted(added[u])]
                for u, unit in enumerate(self.units)}
