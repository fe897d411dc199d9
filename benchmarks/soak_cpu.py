"""CPU seconds per process group, read from /proc (Linux): W7 names the process that saturates.

A group is the trees of some root processes (a server and its workers, PostgreSQL's postmaster
and its backends, ...). A process's CPU is its own (utime + stime) plus what its children used
before it reaped them (cutime + cstime): summed over a tree's living processes, that is the
whole tree's CPU, and a delta between two samples stays right when backends come and go.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Proc:
    ppid: int
    own: float  # seconds, utime + stime
    reaped: float  # seconds, cutime + cstime
    waited: float  # seconds its threads were ready to run but waited for a CPU (schedstat)


@dataclass(frozen=True)
class Sample:
    at: float  # time.monotonic()
    procs: dict[int, Proc]
    machine_busy: float  # seconds of all CPUs not idle since boot (every process on the machine)


def read_proc(pid: int) -> Proc | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # After the command: state ppid ... utime(12) stime(13) cutime(14) cstime(15), 1-based 14-17.
    ticks = [int(value) for value in fields[11:15]]
    return Proc(
        ppid=int(fields[1]),
        own=(ticks[0] + ticks[1]) / CLOCK_TICKS,
        reaped=(ticks[2] + ticks[3]) / CLOCK_TICKS,
        waited=run_queue_wait(pid),
    )


def run_queue_wait(pid: int) -> float:
    """Seconds the process's threads spent runnable but not running: on a machine whose
    cores are busy with other work, this grows while the CPU seconds do not."""
    waited = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0
    for task in tasks:
        try:
            waited += int(Path(f"/proc/{pid}/task/{task}/schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return waited / 1e9


def machine_busy() -> float:
    """CPU seconds all cores spent on anything but idle and iowait, since boot."""
    first = Path("/proc/stat").read_text().splitlines()[0].split()
    ticks = [int(value) for value in first[1:]]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    # guest time is already counted in user time
    return (sum(ticks[:8]) - idle) / CLOCK_TICKS


def sample() -> Sample:
    procs = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            found = read_proc(int(entry.name))
            if found is not None:
                procs[int(entry.name)] = found
    return Sample(at=time.monotonic(), procs=procs, machine_busy=machine_busy())


def tree(snapshot: Sample, roots: list[int], exclude: frozenset[int] = frozenset()) -> set[int]:
    """The roots and their descendants in `snapshot`, without `exclude` and what is below it."""
    children: dict[int, list[int]] = {}
    for pid, proc in snapshot.procs.items():
        children.setdefault(proc.ppid, []).append(pid)
    found: set[int] = set()
    stack = [pid for pid in roots if pid in snapshot.procs and pid not in exclude]
    while stack:
        pid = stack.pop()
        if pid in found:
            continue
        found.add(pid)
        stack += [child for child in children.get(pid, []) if child not in exclude]
    return found


@dataclass
class Group:
    """Roots of a group; `own_only` counts just the roots' own CPU (the benchmark's main
    process, whose children are the servers, counted in their own groups)."""

    roots: list[int]
    own_only: bool = False
    exclude: frozenset[int] = frozenset()

    def pids(self, snapshot: Sample) -> set[int]:
        if self.own_only:
            return {pid for pid in self.roots if pid in snapshot.procs}
        return tree(snapshot, self.roots, self.exclude)

    def cpu(self, snapshot: Sample) -> float:
        if self.own_only:
            return sum(snapshot.procs[pid].own for pid in self.pids(snapshot))
        return sum(snapshot.procs[p].own + snapshot.procs[p].reaped for p in self.pids(snapshot))


def usage(groups: dict[str, Group], before: Sample, after: Sample) -> dict[str, object]:
    """Per group between two samples: CPU seconds, cores busy on average (CPU seconds per
    second), the busiest single process's cores (one Python process tops out at 1.0) and
    how many of its threads waited for a CPU on average (those alive at both samples);
    the whole machine's busy cores and what processes outside the groups used ("other":
    other people's work on a shared machine)."""
    wall = max(after.at - before.at, 1e-9)
    figures: dict[str, object] = {}
    ours = 0.0
    for name, group in groups.items():
        spent = max(0.0, group.cpu(after) - group.cpu(before))
        ours += spent
        common = group.pids(before) & group.pids(after)
        busiest = max((after.procs[pid].own - before.procs[pid].own for pid in common), default=0.0)
        waited = sum(after.procs[pid].waited - before.procs[pid].waited for pid in common)
        figures[name] = {
            "cpu_s": round(spent, 2),
            "cores": round(spent / wall, 3),
            "busiest_process_cores": round(busiest / wall, 3),
            "waiting_for_cpu": round(max(0.0, waited) / wall, 3),
            "processes": len(group.pids(after)),
        }
    busy = after.machine_busy - before.machine_busy
    figures["machine"] = {
        "cores": os.cpu_count() or 1,
        "busy_cores": round(busy / wall, 3),
        "other_cores": round(max(0.0, busy - ours) / wall, 3),
        "seconds": round(wall, 1),
    }
    return figures
