"""The cost ledger's gate: compares a base and a head ledger (tools/ledger.py)
benchmark by benchmark and metric by metric.

A head fails the gate when, for any benchmark and operation,
  * user-space instructions per operation grew by more than 2%,
  * system calls per operation grew by more than 0.05 (one more call in
    every twenty operations; the names that grew are listed),
  * heap allocations per operation grew by more than 0.01,
  * context switches per operation (voluntary + involuntary) grew by more
    than 0.5 (the coarsest rule: a thread that blocks may be preempted
    first instead, and preemption follows the machine's load),
or when a benchmark the base measured is missing in the head, or failed on
either side. A benchmark that could not run on both sides for the same
reason (select's FD_SETSIZE, a kernel without io_uring) is reported and not
held against the head: the change did not cause it. A benchmark only the
head has is new: listed, not compared.

Instructions are exact under callgrind and system calls and allocations are
counts, so none of these moves with the machine's load; the thresholds only
absorb the few calls that depend on timing (an extra wake-up in W3's echo
server, or io_uring completions that arrive in a different pass).
"""
import dataclasses
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_data  # noqa: E402

# Rule names, for the table and for switching one off in the self-test.
RULES = ("instructions", "syscalls", "allocations", "context_switches", "missing", "failed")


@dataclasses.dataclass
class Thresholds:
    instructions_pct: float = 2.0
    syscalls: float = 0.05
    allocations: float = 0.01
    context_switches: float = 0.5


@dataclasses.dataclass
class Finding:
    workload: str      # "W1_pipes/torsion_epoll/100 event"
    metric: str
    base: object       # number, or text
    head: object
    delta: str
    verdict: str       # REGRESSION, FAILED, MISSING, improvement, changed, new, skipped, same
    rule: str = ""

    @property
    def fails(self):
        return self.verdict in ("REGRESSION", "FAILED", "MISSING")


def number(x, digits=4):
    if x is None:
        return "–"
    if isinstance(x, str):
        return x
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}" if x else "0"


def same_reason(a, b):
    """Whether two failure messages give the same reason, numbers aside: a
    descriptor number or a count differs between runs and tools (valgrind
    holds descriptors of its own)."""
    return a is not None and b is not None and \
        re.sub(r"\d+", "N", a) == re.sub(r"\d+", "N", b)


def left_out(message):
    """Whether a failure message is a cell the benchmark binary chose not to
    run, for a limit it names (bench_data.left_out_entries)."""
    return message is not None and message.startswith(bench_data.LEFT_OUT)


def workload_of(key):
    return key.split(" ", 1)[0]


def compare(base, head, thresholds=None, disabled=()):
    """Findings for every (benchmark, op) and metric; `disabled` names rules
    (RULES) that are not applied."""
    t = thresholds or Thresholds()
    findings = []
    base_rows, head_rows = base["rows"], head["rows"]
    base_errors, head_errors = base.get("errors", {}), head.get("errors", {})

    def add(*args, **kwargs):
        findings.append(Finding(*args, **kwargs))

    # Failed or skipped benchmarks, on either side.
    base_measured = {workload_of(key) for key in base_rows}
    for benchmark in sorted(set(base_errors) | set(head_errors)):
        b, h = base_errors.get(benchmark), head_errors.get(benchmark)
        if same_reason(b, h) or (left_out(h) and benchmark not in base_measured):
            # The same reason on both sides, or one the head's binary states
            # for a cell it does not run (a limit of the machine) where the
            # base measured nothing either.
            add(benchmark, "run", f"skipped: {b}" if b else "–", f"skipped: {h}", "",
                "skipped")
            continue
        verdict = "failed" if "failed" in disabled else "FAILED"
        if h is not None:
            add(benchmark, "run", "ok" if b is None else f"failed: {b}", f"failed: {h}", "",
                verdict, "failed")
        else:
            add(benchmark, "run", f"failed: {b}", "ok", "", verdict, "failed")

    for key in sorted(set(base_rows) | set(head_rows)):
        b, h = base_rows.get(key), head_rows.get(key)
        benchmark = workload_of(key)
        if h is None:
            if benchmark in head_errors:
                continue  # reported above
            verdict = "missing" if "missing" in disabled else "MISSING"
            add(key, "run", "measured", "missing", "", verdict, "missing")
            continue
        if b is None:
            if benchmark not in base_errors:
                add(key, "run", "–", "measured", "", "new")
            continue
        findings += compare_row(key, b, h, t, disabled)
    return findings


def compare_row(key, b, h, t, disabled):
    out = []

    def verdict(rule, regressed, improved):
        if regressed:
            return "changed" if rule in disabled else "REGRESSION"
        return "improvement" if improved else "same"

    # Instructions: relative.
    bi, hi = b["instructions"], h["instructions"]
    pct = 100.0 * (hi - bi) / bi if bi else (0.0 if hi == bi else float("inf"))
    out.append(Finding(key, "instructions/op", bi, hi, f"{pct:+.2f}%",
                       verdict("instructions", pct > t.instructions_pct,
                               pct < -t.instructions_pct), "instructions"))
    # System calls: the total is the rule; every name that moved is shown.
    bs, hs = b["syscalls_total"], h["syscalls_total"]
    d = hs - bs
    v = verdict("syscalls", d > t.syscalls, d < -t.syscalls)
    out.append(Finding(key, "syscalls/op", bs, hs, f"{d:+.3f}", v, "syscalls"))
    for name in sorted(set(b["syscalls"]) | set(h["syscalls"])):
        bn, hn = b["syscalls"].get(name, 0.0), h["syscalls"].get(name, 0.0)
        if abs(hn - bn) > t.syscalls:
            grew = v == "REGRESSION" and hn > bn
            out.append(Finding(key, f"syscalls/op: {name}", bn, hn, f"{hn - bn:+.3f}",
                               "REGRESSION" if grew else "changed", "syscalls"))
    # Allocations: absolute, when both binaries count them.
    ba, ha = b.get("allocations"), h.get("allocations")
    if ba is None and ha is None:
        pass
    elif ba is None or ha is None:
        side = "head" if ha is None else "base"
        out.append(Finding(key, "allocations/op", ba, ha, "",
                           "changed" if "missing" in disabled else "MISSING", "missing"))
        out[-1].delta = f"not counted in {side}"
    else:
        d = ha - ba
        out.append(Finding(key, "allocations/op", ba, ha, f"{d:+.3f}",
                           verdict("allocations", d > t.allocations, d < -t.allocations),
                           "allocations"))
    # Context switches: voluntary + involuntary (see the module's text).
    bc = b["csw_voluntary"] + b["csw_involuntary"]
    hc = h["csw_voluntary"] + h["csw_involuntary"]
    d = hc - bc
    out.append(Finding(key, "context switches/op", bc, hc, f"{d:+.3f}",
                       verdict("context_switches", d > t.context_switches,
                               d < -t.context_switches), "context_switches"))
    return out


def fails(findings):
    return any(f.fails for f in findings)


def table(findings, base_name, head_name, thresholds=None, show_all=False):
    """Markdown: a summary line, then every finding that is not `same`
    (all of them with show_all)."""
    t = thresholds or Thresholds()
    counts = {}
    for f in findings:
        counts[f.verdict] = counts.get(f.verdict, 0) + 1
    rows = {f.workload for f in findings}
    failing = [f for f in findings if f.fails]
    out = [f"## Cost ledger: {head_name} against {base_name}", ""]
    verdict = "FAILS" if failing else "holds"
    out.append(f"The gate {verdict}: {len(rows)} benchmark operations compared; "
               + ", ".join(f"{n} {v}" for v, n in sorted(counts.items())) + ".")
    out.append(f"Thresholds: instructions +{t.instructions_pct:g}%, system calls "
               f"+{t.syscalls:g}/op, allocations +{t.allocations:g}/op, context switches "
               f"+{t.context_switches:g}/op; a benchmark missing in the head or failed on "
               "either side fails.")
    out.append("")
    shown = [f for f in findings if show_all or f.verdict != "same"]
    if shown:
        out.append("| workload | metric | base | head | delta | verdict |")
        out.append("|---|---|---:|---:|---:|---|")
        order = {"FAILED": 0, "MISSING": 1, "REGRESSION": 2}
        for f in sorted(shown, key=lambda f: (order.get(f.verdict, 3), f.workload)):
            v = f"**{f.verdict}**" if f.fails else f.verdict
            out.append(f"| {f.workload} | {f.metric} | {number(f.base)} | {number(f.head)} "
                       f"| {f.delta} | {v} |")
    else:
        out.append("Every metric of every benchmark is unchanged.")
    return "\n".join(out) + "\n"
