"""What the benchmarks compute from what they recorded: pure functions over
plain data, so that every figure in docs/performance.md can be checked by a
unit test (tests/unit/benchmarks).

Times are seconds on one clock: the controller's wall clock, which is also the
containers' clock (they share the kernel), so request times, fault times and
the address events of `ip -ts monitor` compare directly.
"""

from __future__ import annotations

import datetime
import re
import statistics

# --- requests --------------------------------------------------------------


def outages(requests):
    """Runs of failed requests, in the order the requests were sent.

    ``requests`` are ``(sent, ok)`` pairs (more fields are ignored). An outage
    starts when the first request of a run of failures was sent and ends when
    the first request after it that succeeded was sent (``None`` when the run
    lasts to the end). Returns ``[{"start", "end", "failed"}]``.
    """
    found = []
    current = None
    for sent, ok, *_rest in sorted(requests, key=lambda r: r[0]):
        if not ok:
            if current is None:
                current = {"start": sent, "end": None, "failed": 0}
                found.append(current)
            current["failed"] += 1
        elif current is not None:
            current["end"] = sent
            current = None
    return found


def answers_again(requests, fault_at):
    """Seconds from ``fault_at`` until the VIP answered again: the end of the
    first outage that starts at or after the fault (0.0 when no request sent
    after the fault failed; ``None`` when it never answered again)."""
    after = [r for r in requests if r[0] >= fault_at]
    for outage in outages(after):
        if outage["end"] is None:
            return None
        return round(outage["end"] - fault_at, 3)
    return 0.0


def dead_stretch(requests, since, until):
    """The longest stretch of time without a successful request between
    ``since`` (the undoing of a fault) and ``until`` (the end of the watch).

    Stretches run from ``since`` to the first request, sent after it, that
    succeeded, between two successive successful requests, and from the last
    one to ``until``; times are when requests were sent. With a request every
    10 ms that all succeed, the longest stretch is about 0.01 s. Returns
    ``{"seconds", "start", "end", "answered"}``: ``end`` is None when nothing
    answered after the stretch began (it lasts to ``until``, a lower bound),
    ``answered`` whether any request sent after ``since`` succeeded.
    """
    ok = sorted(r[0] for r in requests if r[1] and since <= r[0] <= until)
    points = [since, *ok]
    best = {"seconds": 0.0, "start": since, "end": since}
    for a, b in zip(points, points[1:], strict=False):
        if b - a > best["seconds"]:
            best = {"seconds": b - a, "start": a, "end": b}
    if until - points[-1] > best["seconds"]:
        best = {"seconds": until - points[-1], "start": points[-1], "end": None}
    best["seconds"] = round(best["seconds"], 3)
    best["answered"] = bool(ok)
    return best


def quiet(requests, now, quiet_s, timeout):
    """Whether the client has had ``quiet_s`` seconds of answers only, up to
    the requests it may still be waiting for: every request sent from
    ``now - timeout - quiet_s`` on that has finished succeeded, and at least
    one did (records appear when a request finishes, at most ``timeout``
    after it was sent)."""
    recent = [r for r in requests if r[0] >= now - timeout - quiet_s]
    return bool(recent) and all(r[1] for r in recent)


def giveback_over(requests, now, undone_at, minimum, quiet_s, timeout, limit):
    """Whether the watch of a give-back may end at ``now``: at least
    ``minimum`` seconds after the undoing and quiet (above), or ``limit``
    seconds after the undoing whatever the client sees."""
    if now - undone_at >= limit:
        return True
    return now - undone_at >= minimum and quiet(requests, now, quiet_s, timeout)


# --- who holds the VIP ------------------------------------------------------

_EVENT = re.compile(
    r"^\[(?P<stamp>[0-9T:.\-]+)\]\s+(?P<deleted>Deleted\s+)?\d+:\s+\S+\s+inet6?\s+(?P<addr>[0-9a-fA-F.:]+)/"
)


def parse_monitor_line(line):
    """One line of ``ip -ts -o monitor address``: ``(time, address, added)``
    or None for any other line. The stamp is local time, like time.time()."""
    match = _EVENT.match(line.strip())
    if not match:
        return None
    stamp = datetime.datetime.strptime(match["stamp"], "%Y-%m-%dT%H:%M:%S.%f").timestamp()
    return stamp, match["addr"], not match["deleted"]


def held_intervals(initially, events, address, start, end):
    """When ``address`` was held between ``start`` and ``end``: intervals
    ``(t0, t1)``, from whether it was held at ``start`` and the
    ``(time, address, added)`` events that followed."""
    held_since = start if initially else None
    found = []
    for when, addr, added in sorted(events):
        if addr != address or when < start or when > end:
            continue
        if added and held_since is None:
            held_since = when
        elif not added and held_since is not None:
            found.append((held_since, when))
            held_since = None
    if held_since is not None:
        found.append((held_since, end))
    return found


def intersect(a, b):
    """Intersection of two lists of intervals."""
    found = []
    for a0, a1 in a:
        for b0, b1 in b:
            lo, hi = max(a0, b0), min(a1, b1)
            if hi > lo:
                found.append((lo, hi))
    return sorted(found)


def subtract(a, b):
    """The intervals of ``a`` outside every interval of ``b``."""
    result = list(a)
    for b0, b1 in b:
        pieces = []
        for a0, a1 in result:
            if b1 <= a0 or b0 >= a1:
                pieces.append((a0, a1))
                continue
            if a0 < b0:
                pieces.append((a0, b0))
            if b1 < a1:
                pieces.append((b1, a1))
        result = pieces
    return sorted(result)


def total(intervals):
    return round(float(sum(t1 - t0 for t0, t1 in intervals)), 3)


def two_holders(held, unreachable=None):
    """Seconds during which two nodes held the VIP and both could be reached.

    ``held`` maps node -> intervals it held the VIP; ``unreachable`` maps node
    -> intervals it could not be reached (paused, network cut): a node nobody
    can reach does not compete for the VIP on the network, whatever its
    interface says (it finds out when it is back, and that is counted)."""
    unreachable = unreachable or {}
    live = {node: subtract(spans, unreachable.get(node, [])) for node, spans in held.items()}
    nodes = sorted(live)
    both = []
    for i, first in enumerate(nodes):
        for second in nodes[i + 1 :]:
            both.extend(intersect(live[first], live[second]))
    # Merge overlaps (three or more nodes) before adding up.
    merged = []
    for t0, t1 in sorted(both):
        if merged and t0 <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], t1))
        else:
            merged.append((t0, t1))
    return total(merged)


def first_taken(intervals, after):
    """When a node first held the VIP at or after ``after``, from the intervals
    it held it (None: never)."""
    starts = [t0 for t0, t1 in intervals if t1 > after]
    return max(min(starts), after) if starts else None


# --- summaries --------------------------------------------------------------


def summary(values):
    """Median and range of the figures of the repetitions; ``None`` values
    (never recovered) are counted in ``missing`` and left out."""
    present = [v for v in values if v is not None]
    if not present:
        return {"n": len(values), "missing": len(values), "median": None, "min": None, "max": None}
    return {
        "n": len(values),
        "missing": len(values) - len(present),
        "median": round(statistics.median(present), 3),
        "min": round(min(present), 3),
        "max": round(max(present), 3),
    }


_RECAP = re.compile(
    r"^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)\s+failed=(?P<failed>\d+)"
    r"(\s+skipped=(?P<skipped>\d+))?"
)


def play_recap(output):
    """The PLAY RECAP of an ansible-playbook run: host -> {ok, changed,
    unreachable, failed, skipped} (the last recap when there are several)."""
    hosts = {}
    for line in output.splitlines():
        match = _RECAP.match(line.strip())
        if match:
            hosts[match["host"]] = {
                k: int(match[k] or 0) for k in ("ok", "changed", "unreachable", "failed", "skipped")
            }
    return hosts


def tasks_per_host(recap):
    """The most tasks one host ran (ok, which counts the changed ones, plus
    skipped and failed), from a play_recap."""
    return max((h["ok"] + h["skipped"] + h["failed"] for h in recap.values()), default=0)


_WRK_RATE = re.compile(r"^Requests/sec:\s+(?P<rps>[0-9.]+)", re.M)
_WRK_TOTAL = re.compile(r"^\s*(?P<total>\d+) requests in [0-9.]+(us|ms|s|m|h),", re.M)
_WRK_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_WRK_STATUS = re.compile(r"Non-2xx or 3xx responses: (\d+)")


def parse_wrk(output):
    """wrk's report: requests, requests per second, and the errors it counts
    (socket errors by kind and non-2xx/3xx answers)."""
    rate = _WRK_RATE.search(output)
    count = _WRK_TOTAL.search(output)
    if not rate or not count:
        raise ValueError(f"not a wrk report: {output[-300:]!r}")
    socket = _WRK_SOCKET.search(output)
    connect, read, write, timeout = (int(x) for x in socket.groups()) if socket else (0, 0, 0, 0)
    status = _WRK_STATUS.search(output)
    non_2xx = int(status.group(1)) if status else 0
    return {
        "requests": int(count["total"]),
        "rps": float(rate["rps"]),
        "errors": {
            "connect": connect,
            "read": read,
            "write": write,
            "timeout": timeout,
            "non_2xx_3xx": non_2xx,
        },
        "failed": connect + read + write + timeout + non_2xx,
    }


# --- CPU time ----------------------------------------------------------------


def parse_cpuset(text):
    """A cpuset list (``0-1``, ``1``, ``0,2-3``) as a sorted list of CPU
    numbers; ``ValueError`` for anything else (an empty string too)."""
    cpus = set()
    for part in text.strip().split(","):
        lo, sep, hi = part.partition("-")
        if not lo.strip().isdigit() or (sep and not hi.strip().isdigit()):
            raise ValueError(f"not a cpuset list: {text!r}")
        cpus.update(range(int(lo), int(hi if sep else lo) + 1))
    return sorted(cpus)


def parse_schedstat(text):
    """Nanoseconds a task spent on a CPU: the first field of
    ``/proc/<pid>/task/<tid>/schedstat`` (on CPU, waiting, timeslices)."""
    fields = text.split()
    if len(fields) != 3 or not all(f.isdigit() for f in fields):
        raise ValueError(f"not a schedstat line: {text!r}")
    return int(fields[0])


def parse_proc_stat(text):
    """The per-CPU lines of ``/proc/stat``: ``{cpu: (busy, total)}`` in clock
    ticks, busy being everything but idle and iowait (the aggregate ``cpu``
    line is left out)."""
    found = {}
    for line in text.splitlines():
        name, *values = line.split()
        if not name.startswith("cpu") or name == "cpu":
            continue
        ticks = [int(v) for v in values[:8]]  # user nice system idle iowait irq softirq steal
        found[int(name[3:])] = (sum(ticks) - ticks[3] - ticks[4], sum(ticks))
    return found


def cpu_busy(before, after):
    """The share of each CPU's time that was busy between two readings of
    parse_proc_stat, 0..1 (None for a CPU whose clock did not move)."""
    shares = {}
    for cpu, (busy1, total1) in after.items():
        busy0, total0 = before.get(cpu, (busy1, total1))
        shares[cpu] = round((busy1 - busy0) / (total1 - total0), 3) if total1 > total0 else None
    return shares


def cpu_per_request(before_ns, after_ns, requests):
    """Microseconds of CPU per request from two readings of a CPU counter in
    nanoseconds (a cgroup's cpuacct.usage, or the sum of a process's tasks'
    schedstat) around ``requests`` requests; None without requests, or when
    either reading is missing or the counter went back (a process replaced)."""
    if not requests or before_ns is None or after_ns is None or after_ns < before_ns:
        return None
    return round((after_ns - before_ns) / 1000 / requests, 2)


def per_cpu_second(requests, cpu_s):
    """Requests per second of CPU (None without CPU time)."""
    if not cpu_s or cpu_s <= 0:
        return None
    return round(requests / cpu_s, 1)


def processes_ns(before, after):
    """Nanoseconds of CPU some processes spent between two readings
    (``{pid: ns}``, ns None for a process that was gone): None when the
    processes are not the same ones (a reload replaced a worker)."""
    if set(before) != set(after) or None in before.values() or None in after.values():
        return None
    return sum(after.values()) - sum(before.values())


def number(value, digits=2):
    """VALUE with DIGITS decimals (an int as it is), or '-' for None."""
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def spread(stat, digits=2):
    """'median (min-max)' of a summary, or '-'."""
    if not stat or stat.get("median") is None:
        return "-"
    text = number(stat["median"], digits)
    if stat["min"] != stat["max"]:
        text += f" ({number(stat['min'], digits)}-{number(stat['max'], digits)})"
    if stat.get("missing"):
        text += f", {stat['missing']} of {stat['n']} never"
    return text
