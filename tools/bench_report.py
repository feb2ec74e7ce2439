#!/usr/bin/python3
"""Builds bench-report/ from the benchmark JSON files that tools/bench wrote.

    bench_report.py --out bench-report [--settings JSON] RESULTS.json...

Writes results.json (every repetition, per-benchmark statistics, a machine
fingerprint), report.md (medians, spread, ratios to the best peer and to the
minimal loop, and plain words where torsion falls short) and plots as PNG and
SVG. Statistics come from numpy/scipy (python3-numpy, python3-scipy); plots
from python3-matplotlib.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys

import numpy as np
from scipy import stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_data  # noqa: E402

# Workload titles, in report order.
WORKLOADS = {
    "W1_pipes": "W1 pipes (libevent's bench.c: 100 active chains, N pairs, N writes)",
    "W2_timers": "W2 timers (N one-shot timers, delays in [0, 1 s), every other cancelled)",
    "W2_memory": "W2 memory (heap bytes per pending timer, N timers pending)",
    "W3_pingpong": "W3 TCP echo, ping-pong (64-byte messages, N connections, one in flight each)",
    "W3_bulk": "W3 TCP echo, bulk stream (N MiB through one connection)",
    "W3_tls_pingpong": "W3 over TLS, ping-pong (64-byte messages, N connections, one in "
                       "flight each)",
    "W4_chain": "W4 call soon, chain (each call schedules the next)",
    "W4_batch": "W4 call soon, batch (N calls scheduled, then run)",
    "W5": "W5 Deferreds (Twisted's benchmarks/test_deferred.py and more; N per scenario)",
    "W6_throughput": "W6 calls from another thread, throughput (N calls handed over back to back)",
    "W6_wakeup": "W6 calls from another thread, wake-up latency (N hand-overs to a sleeping loop)",
    "W7_lateness": "W7 timer lateness (batches of N timers 0-20 ms ahead; never early)",
}
# What a reader needs to know to read a workload's numbers fairly.
NOTES = {
    "W1_pipes": "Peers run on their default backend (epoll). select cannot watch "
                "descriptors at or above FD_SETSIZE (1024), so it skips N >= 1000.",
    "W2_timers": "The minimal loops cancel lazily (a flag), so their cancel cost is near "
                 "zero and the skipped heap entries are paid for in fire. Asio's cancelled "
                 "waits still run their handler, inside the fire phase. libuv timers have "
                 "millisecond resolution.",
    "W2_memory": "The thread's net heap growth (benchmarks/alloc_counter.cc: each block "
                 "as malloc_usable_size counts it, frees subtracted) from before the timers' "
                 "storage is reserved to after the N-th is scheduled, over N: the loop's "
                 "nodes, heap slots and growth, and what a user must allocate to cancel each "
                 "timer later (libev ev_timer, libuv uv_timer_t, libevent's struct event "
                 "and its pointer, Asio steady_timer and its wait, torsion's DelayedCall "
                 "handle). A count: one repetition. Goal (docs/performance.md): torsion at "
                 "most 64 B.",
    "W4_chain": "libevent (it drains its active queue until empty) and Asio (poll() runs "
                "handlers posted meanwhile; an io_context with no I/O object has no epoll "
                "at all) run the whole chain without polling the OS between calls (checked "
                "with strace). torsion, libev, libuv, Twisted and the minimal loops run "
                "a call scheduled during a pass on the next pass (Twisted's rule), so each call "
                "also pays for one zero-timeout poll.",
    "W4_batch": "torsion uses Reactor::callSoon; libevent event_base_once (a heap "
                "allocation per call); libev and libuv an idle watcher draining a vector; "
                "Asio post; Twisted callLater(0).",
    "W3_pingpong": "One load generator process (benchmarks/echo_loadgen.cc, plain epoll) "
                   "against one server process per implementation, both on 127.0.0.1. "
                   "ns/roundtrip is wall time over round trips (the rate is shown beside it); "
                   "latency is send to full reply per message; *server CPU* is the server "
                   "thread's CPU time per round trip (schedstat), the fairer measure when "
                   "other processes share the cores. On 2 cores the client and server each "
                   "need one, so any other load moves the wall-time numbers.",
    "W3_bulk": "64 KiB writes, at most 4 MiB unanswered; MB/s is 10^6 bytes per second "
               "echoed back. libevent moves evbuffers, libuv writes with uv_try_write, "
               "Asio async_read_some/async_write, libev and the minimal server read "
               "64 KiB and write it back.",
    "W3_tls_pingpong": "W3's ping-pong over TLS on 127.0.0.1: the same load generator "
                       "(`echo_loadgen --tls`, OpenSSL on its sockets, handshakes before "
                       "the untimed warm-up) against torsion's echo server behind net/tls "
                       "(listenSSL: the protocol wrapper on memory BIOs, epoll) and "
                       "min_epoll, a minimal epoll loop calling SSL_read/SSL_write on the "
                       "socket (benchmarks/tls_echo_socket.h), the floor. Both servers use "
                       "net/tls's server context with a P-256 certificate made at start-up "
                       "and negotiate the same version and cipher.",
    "W6_throughput": "torsion Reactor::callFromThread; libuv uv_async_send, libev "
                     "ev_async_send and libevent event_active (evthread_use_pthreads) each "
                     "waking a mutex-protected queue; Asio post. Wall time: two threads.",
    "W6_wakeup": "The producer sleeps 100 µs between hand-overs so the loop is asleep in "
                 "its poller; latency is hand-over to the call running on the loop thread.",
    "W7_lateness": "torsion only (peers optional, not measured). Lateness is the time past "
                   "the requested deadline at which the call ran; a timer that ran early "
                   "is reported as an error.",
}
# Peers that run a workload with torsion's semantics, where not every peer
# does: in W4 chain, libevent and Asio run a call scheduled during a pass in
# the same pass, without polling the OS in between, while torsion (Twisted's
# rule), libev, libuv, Twisted and the minimal loops run it on the next pass
# and poll once per call. Ratios to "the best peer" use these peers only;
# the others are shown in the tables with the difference stated.
COMPARABLE_PEERS = {"W4_chain": {"libev", "libuv", "twisted"}}


def comparable(workload, impl):
    """Whether a peer runs `workload` with torsion's semantics."""
    group = COMPARABLE_PEERS.get(workload)
    return group is None or impl in group


# Metric order within a workload, and metrics shown as a rate beside the cost.
METRIC_ORDER = ["ns_per_event", "ns_per_schedule", "ns_per_cancel", "ns_per_fire",
                "ns_per_call", "ns_per_roundtrip", "latency_p50_ns", "latency_p99_ns",
                "server_cpu_ns_per_roundtrip", "ns_per_mb", "server_cpu_ns_per_mb",
                "wakeup_p50_ns", "wakeup_p99_ns", "lateness_p50_ns", "lateness_p99_ns",
                "lateness_max_ns"]
RATES = {"ns_per_roundtrip": (1e9, "round trips/s"), "ns_per_mb": (1e9, "MB/s"),
         "ns_per_call": (1e9, "calls/s")}


def fmt_rate(metric, ns):
    """' (123k round trips/s)' for metrics with a rate, else ''."""
    if metric not in RATES or not ns:
        return ""
    scale, unit = RATES[metric]
    rate = scale / ns
    text = f"{rate / 1e6:.3g}M" if rate >= 1e6 else f"{rate / 1e3:.3g}k" if rate >= 1e4 \
        else f"{rate:.0f}"
    return f" ({text} {unit})"


def group_of(workload):
    """W5_chain -> W5: the Deferred scenarios share one section."""
    return "W5" if workload.startswith("W5_") else workload
# Within this band around 1.0 a ratio is "on par".
PAR = 0.05
# Workloads tabulated with a column per N (the others: a row per N).
WIDE = {"W1_pipes"}


def run(cmd, cwd=None):
    try:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                              check=False).stdout.strip()
    except OSError:
        return ""


def fingerprint(repo):
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    revision = run(["git", "rev-parse", "HEAD"], cwd=repo)
    dirty = run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo)
    peers = {}
    for package in ("libevent-dev", "libev-dev", "libuv1-dev", "libasio-dev",
                    "python3-twisted", "libbenchmark-dev"):
        version = run(["dpkg-query", "-W", "-f=${Version}", package])
        if version:
            peers[package] = version
    return {
        "kernel": platform.release(),
        "os": run(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]) or platform.system(),
        "cpu_model": cpu,
        "cores": os.cpu_count(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "compiler": run(["gcc", "--version"]).splitlines()[0] if run(["gcc", "--version"])
        else "unknown",
        "git_revision": revision + ("+dirty" if dirty else ""),
        "packages": peers,
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def summarise(values):
    v = np.asarray(values, dtype=float)
    median = float(np.median(v))
    q1, q3 = (float(x) for x in np.percentile(v, [25, 75]))
    return {
        "n": int(v.size), "median": median, "q1": q1, "q3": q3,
        "min": float(v.min()), "max": float(v.max()),
        "iqr_pct": float(100 * stats.iqr(v) / median) if median else 0.0,
        "mad_pct": float(100 * stats.median_abs_deviation(v, scale="normal") / median)
        if median else 0.0,
    }


def fmt_count(x):
    """A count per operation: 186, 2.01, 0.011, 0."""
    if x == 0:
        return "0"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def fmt_metric(metric, value):
    """A metric's value in its unit: bytes for bytes_per_*, else time."""
    return f"{value:.1f} B" if metric.startswith("bytes_per_") else fmt_ns(value)


def fmt_ns(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.3g} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.3g} µs"
    return f"{ns:.3g} ns"


class Report:
    def __init__(self, samples, errors, ledger_rows=None, sized=None):
        self.stats = {k: summarise(v) for k, v in samples.items()}
        self.errors = errors
        # {BenchKey: reason}: cells run at a smaller N than asked, to fit a
        # limit of the machine (benchmarks/drivers.h pipeSizes).
        self.sized = sized or {}
        # The cost ledger's rows (tools/ledger.py): "W1_pipes/torsion_epoll/100 event"
        # -> instructions, system calls, allocations per operation.
        self.ledger = ledger_rows or {}
        self.workloads = [w for w in WORKLOADS if any(k.workload == w for k, _ in self.stats)]
        self.workloads += sorted({k.workload for k, _ in self.stats} - set(self.workloads))
        # The W5 scenarios (not listed in WORKLOADS) belong between W4 and W6.
        self.workloads.sort(key=lambda w: (w.split("_")[0], list(WORKLOADS).index(w)
                                           if w in WORKLOADS else 0))

    def metrics(self, workload):
        order = METRIC_ORDER
        found = {m for k, m in self.stats if k.workload == workload}
        return sorted(found, key=lambda m: (order.index(m) if m in order else len(order), m))

    def sizes(self, workload):
        keys = set(self.stats) | {(k, None) for k in self.errors}
        return sorted({k.n for k, _ in keys if k.workload == workload})

    def impls(self, workload):
        keys = [k for k, _ in self.stats] + list(self.errors)
        return sorted({k.impl for k in keys if k.workload == workload},
                      key=bench_data.impl_rank)

    def median(self, workload, impl, n, metric):
        s = self.stats.get((bench_data.BenchKey(workload, impl, n), metric))
        return s["median"] if s else None

    def best(self, workload, n, metric, kind):
        """(impl, median) of the fastest peer (one with torsion's semantics,
        COMPARABLE_PEERS) or minimal loop, or None."""
        found = [(m, impl) for impl in self.impls(workload)
                 if bench_data.impl_kind(impl) == kind
                 and (kind != "peer" or comparable(workload, impl))
                 and (m := self.median(workload, impl, n, metric)) is not None]
        return (min(found)[1], min(found)[0]) if found else None

    def reference_min(self, workload, impl, n, metric):
        """(name, median) of the minimal loop on the same backend as `impl`;
        min_epoll for a backend without one (io_uring, glib, qt), named as such in
        every cell; None when that loop did not run."""
        backend = bench_data.backend_of(impl)
        if not backend:
            return None
        for ref in ("min_" + backend, "min_epoll"):
            m = self.median(workload, ref, n, metric)
            if m is not None:
                return ref, m
        return None

    def at_a_glance(self):
        """Rows of (impl, {(workload, metric): geometric mean over sizes of the
        ratio to the best peer})."""
        columns = [(w, m) for w in self.workloads for m in self.metrics(w)
                   if group_of(w) != "W5"]
        impls = sorted({k.impl for k, _ in self.stats
                        if bench_data.impl_kind(k.impl) == "torsion"}, key=bench_data.impl_rank)
        rows = []
        for impl in impls:
            cells = {}
            for w, m in columns:
                ratios = []
                for n in self.sizes(w):
                    mine = self.median(w, impl, n, m)
                    peer = self.best(w, n, m, "peer")
                    if mine is not None and peer:
                        ratios.append(mine / peer[1])
                if ratios:
                    cells[(w, m)] = float(stats.gmean(ratios))
            rows.append((impl, cells))
        # W5: one column, the geometric mean over every Deferred scenario.
        w5 = [w for w in self.workloads if group_of(w) == "W5"]
        if w5:
            columns.append(("W5", "all scenarios"))
            for impl, cells in rows:
                ratios = [mine / peer[1] for w in w5 for n in self.sizes(w)
                          if (m := self.w5_metric(w))
                          and (mine := self.median(w, impl, n, m)) is not None
                          and (peer := self.best(w, n, m, "peer"))]
                if ratios:
                    cells[("W5", "all scenarios")] = float(stats.gmean(ratios))
        columns = [c for c in columns if any(c in cells for _, cells in rows)]
        rows = [(impl, cells) for impl, cells in rows if cells]
        return columns, rows

    def verdicts(self):
        """One line per torsion result, grouped by how it compares to peers."""
        groups = {"short": [], "par": [], "ahead": []}
        for w in self.workloads:
            for metric in self.metrics(w):
                for n in self.sizes(w):
                    peer = self.best(w, n, metric, "peer")
                    for impl in self.impls(w):
                        mine = self.median(w, impl, n, metric)
                        if bench_data.impl_kind(impl) != "torsion" or mine is None or not peer:
                            continue
                        ratio = mine / peer[1]
                        ref = self.reference_min(w, impl, n, metric)
                        vs_min = f", {mine / ref[1]:.2f}× {ref[0]}" if ref else ""
                        like = (" with the same semantics" if w in COMPARABLE_PEERS else "")
                        line = (f"{w} N={n} {bench_data.metric_label(metric)}: {impl} "
                                f"{fmt_metric(metric, mine)} is {ratio:.2f}× the best "
                                f"peer{like} ({peer[0]}, {fmt_metric(metric, peer[1])})"
                                f"{vs_min}")
                        group = ("short" if ratio > 1 + PAR else
                                 "ahead" if ratio < 1 - PAR else "par")
                        groups[group].append((ratio, line))
        return {g: [line for _, line in sorted(v, reverse=(g == "short"))]
                for g, v in groups.items()}

    def cell(self, w, impl, n, metric):
        """Median ± IQR% (repetitions), plus ratios for torsion; None if absent."""
        key = bench_data.BenchKey(w, impl, n)
        s = self.stats.get((key, metric))
        if not s:
            return "skipped" if key in self.errors else "–"
        text = (f"{fmt_metric(metric, s['median'])}{fmt_rate(metric, s['median'])} "
                f"±{s['iqr_pct']:.0f}% ({s['n']})")
        if bench_data.impl_kind(impl) == "torsion":
            peer = self.best(w, n, metric, "peer")
            ref = self.reference_min(w, impl, n, metric)
            if peer:
                text += f"<br>{s['median'] / peer[1]:.2f}× vs {peer[0]}"
            if ref:
                text += f"<br>{s['median'] / ref[1]:.2f}× vs {ref[0]}"
        return text + self.ledger_text(w, impl, n, metric)

    def ledger_row(self, w, impl, n, metric):
        """The ledger's row for a cell: its operation is the metric's
        (ns_per_event -> event); None when the ledger did not count it."""
        if not metric.startswith("ns_per_"):
            return None
        return self.ledger.get(f"{w}/{impl}/{n} {metric[len('ns_per_'):]}")

    def ledger_text(self, w, impl, n, metric):
        """'<br>186 instr · 2.01 sys · 0 alloc per event' (the ledger's counts per
        operation: instructions, system calls, allocations), or ''."""
        row = self.ledger_row(w, impl, n, metric)
        if not row:
            return ""
        allocs = row.get("allocations")
        return (f"<br>{fmt_count(row['instructions'])} instr · "
                f"{fmt_count(row['syscalls_total'])} sys · "
                f"{'–' if allocs is None else fmt_count(allocs)} alloc per {row['op']}")

    def semantics_note(self, w):
        """For a workload where some peers do different work (COMPARABLE_PEERS),
        torsion's ratio to each of those, stated as such."""
        if w not in COMPARABLE_PEERS:
            return []
        lines = []
        for metric in self.metrics(w):
            for n in self.sizes(w):
                others = [(impl, m) for impl in self.impls(w)
                          if bench_data.impl_kind(impl) == "peer" and not comparable(w, impl)
                          and (m := self.median(w, impl, n, metric)) is not None]
                for impl in self.impls(w):
                    mine = self.median(w, impl, n, metric)
                    if bench_data.impl_kind(impl) != "torsion" or mine is None or not others:
                        continue
                    lines.append(f"- {impl} N={n}: " + ", ".join(
                        f"{mine / m:.1f}× {peer}" for peer, m in others))
        if not lines:
            return []
        return ["Different work, not a like-for-like ratio: torsion against the peers that "
                "do not poll between calls (its *vs* ratios above use "
                + ", ".join(sorted(COMPARABLE_PEERS[w])) + " only):", ""] + lines + [""]

    @staticmethod
    def impl_name(impl):
        return f"**{impl}**" if bench_data.impl_kind(impl) == "torsion" else impl

    def wide_table(self, w):
        """One table per metric: a row per implementation, a column per N."""
        out = []
        sizes = self.sizes(w)
        for metric in self.metrics(w):
            out += [f"**{bench_data.metric_label(metric)}** (median ± IQR%, repetitions)", ""]
            out.append("| impl | " + " | ".join(f"N={n}" for n in sizes) + " |")
            out.append("|---|" + "---:|" * len(sizes))
            for impl in self.impls(w):
                cells = [self.cell(w, impl, n, metric) for n in sizes]
                out.append(f"| {self.impl_name(impl)} | " + " | ".join(cells) + " |")
            out.append("")
        return out

    def long_table(self, w):
        """One table: a row per (implementation, N), a column per metric."""
        metrics = self.metrics(w)
        out = ["| impl | N | " + " | ".join(bench_data.metric_label(m) for m in metrics) + " |",
               "|---|---:|" + "---:|" * len(metrics)]
        for impl in self.impls(w):
            for n in self.sizes(w):
                key = bench_data.BenchKey(w, impl, n)
                if key not in self.errors and not any((key, m) in self.stats for m in metrics):
                    continue
                cells = [self.cell(w, impl, n, m) for m in metrics]
                out.append(f"| {self.impl_name(impl)} | {n} | " + " | ".join(cells) + " |")
        return out + ["", "Cells: median ± IQR% (repetitions).", ""]

    def markdown(self, fp, settings, plots):
        out = ["# torsion backend comparison report", ""]
        out.append(f"Generated {fp['date_utc']} at git {fp['git_revision'][:12]}"
                   f"{' (quick mode: small sizes, few repetitions)' if settings.get('quick') else ''}.")
        out += ["", "| machine | |", "|---|---|"]
        for key in ("cpu_model", "cores", "kernel", "os", "compiler"):
            out.append(f"| {key} | {fp[key]} |")
        if fp.get("load_average"):
            out.append("| load average (1, 5, 15 min) at report time | "
                       + " ".join(f"{x:.2f}" for x in fp["load_average"]) + " |")
        out.append("| packages | " + ", ".join(f"{p} {v}" for p, v in fp["packages"].items())
                   + " |")
        out += ["", "How to read: each cell is the **median** cost per operation over the "
                "repetitions (lower is better), with the interquartile range as a percentage "
                "of the median (±). In torsion's cells, *× vs <peer>* divides torsion's median "
                "by the fastest peer (libevent, libev, libuv, Asio, Twisted) at the same size "
                "(in W4 chain only the peers that, like torsion, poll between calls: libev, "
                "libuv, Twisted); *× vs min_<backend>* by the minimal hand-written loop on the "
                "same backend, the reference limit (io_uring, glib and qt have no minimal loop: "
                "their cells name min_epoll; torsion_glib, the reactor on a GMainContext as "
                "in a GTK program, and torsion_qt, in Qt 5's event dispatcher as in a Qt "
                "program, run W1 and W4 only). Peers use their default backend (epoll on Linux), so for "
                "torsion_poll and torsion_select the *vs min* ratio is the fair one: poll and "
                "select cost O(N) per wait by design."]
        if self.ledger:
            out += ["", "Below the times, where the cost ledger counted the same workload and "
                    "size (tools/ledger.py; W1 N ≤ 1,000, W2 N = 100,000, W3 one connection, "
                    "W4, W5): user-space **instructions** (callgrind), **system calls** (strace) "
                    "and heap **allocations** per operation. Counts, not times: they do not "
                    "move with the machine's load, and they are what CI's gate compares "
                    "(docs/benchmarks.md)."]
        out.append("")
        verdicts = self.verdicts()
        out.append("## Where torsion stands")
        out.append("")
        columns, rows = self.at_a_glance()
        if rows and any(cells for _, cells in rows):
            out.append("At a glance: torsion's median over the best peer's (geometric mean "
                       "over sizes; below 1.00 torsion is faster). W4 chain is compared with "
                       "the peers that poll between calls as torsion does (libev, libuv, "
                       "Twisted); libevent and Asio run the chain without polling, different "
                       "work, shown in W4's section.")
            out.append("")
            out.append("| | " + " | ".join(f"{w} {bench_data.metric_label(m)}".strip()
                                           for w, m in columns) + " |")
            out.append("|---|" + "---:|" * len(columns))
            for impl, cells in rows:
                out.append(f"| {impl} | " + " | ".join(
                    f"{cells[c]:.2f}×" if c in cells else "–" for c in columns) + " |")
            out.append("")
        if not any(verdicts.values()):
            out += ["No torsion result could be compared with a peer in this run.", ""]
        for group, title in (("short", "Falls short of the best peer (more than 5% slower)"),
                             ("par", "On par with the best peer (within 5%)"),
                             ("ahead", "Ahead of the best peer (more than 5% faster)")):
            if verdicts[group]:
                out += [f"**{title}:**", ""] + [f"- {line}" for line in verdicts[group]] + [""]
        shown = set()
        for w in self.workloads:
            if group_of(w) == "W5":
                if "W5" not in shown:
                    shown.add("W5")
                    out += self.w5_section()
                continue
            out += [f"## {WORKLOADS.get(w, w)}", ""]
            if w in NOTES:
                out += [NOTES[w], ""]
            out += self.wide_table(w) if w in WIDE else self.long_table(w)
            out += self.semantics_note(w)
            # One line per distinct reason, naming what it skipped.
            reasons = {}
            for k, msg in self.errors.items():
                if k.workload == w:
                    reasons.setdefault(msg, []).append(k)
            if reasons:
                out += ["Skipped:", ""]
                for msg, keys in sorted(reasons.items()):
                    which = ", ".join(f"{k.impl}/{k.n}" for k in sorted(
                        keys, key=lambda k: (bench_data.impl_rank(k.impl), k.n)))
                    out.append(f"- {which}: {msg}")
                out.append("")
            sized = sorted((k, msg) for k, msg in self.sized.items() if k.workload == w)
            if sized:
                out += ["Sized to this machine:", ""]
                out += [f"- {k.impl}/{k.n}: {msg}" for k, msg in sized] + [""]
            if w in ("W3_pingpong", "W3_bulk"):
                out += self.w3_goals(w)
            if w in plots and plots[w] not in shown:
                shown.add(plots[w])
                out += [f"![{w}]({plots[w]}.png) ([SVG]({plots[w]}.svg))", ""]
        return "\n".join(out) + "\n"


def w5_metric(self, w):
    """ns_per_op where deferred_bench reports it, else real time."""
    metrics = self.metrics(w)
    return "ns_per_op" if "ns_per_op" in metrics else (metrics[0] if metrics else None)


def w5_section(self):
    """One table for every Deferred scenario: torsion, Twisted, the ratio."""
    rows = sorted({(w, n) for w in self.workloads if group_of(w) == "W5"
                   for n in self.sizes(w)})
    out = [f"## {WORKLOADS['W5']}", "",
           "Time per scenario run (median ± IQR%, repetitions); *× Twisted* is torsion's "
           "median over Twisted's. `plain` is a loop over std::vector<absl::AnyInvocable> "
           "making the same calls as chain/100.", "",
           "| scenario | N | torsion | Twisted | plain | × Twisted |", "|---|---:|---:|---:|---:|---:|"]
    for w, n in rows:
        cells = []
        metric = self.w5_metric(w)
        for impl in ("torsion", "twisted", "plain_anyinvocable"):
            s = self.stats.get((bench_data.BenchKey(w, impl, n), metric))
            cells.append(f"{fmt_ns(s['median'])} ±{s['iqr_pct']:.0f}% ({s['n']})" if s
                         else "skipped" if bench_data.BenchKey(w, impl, n) in self.errors
                         else "–")
        mine = self.median(w, "torsion", n, metric)
        theirs = self.median(w, "twisted", n, metric)
        ratio = f"{mine / theirs:.3f}×" if mine and theirs else "–"
        out.append(f"| {w[len('W5_'):]} | {n} | " + " | ".join(cells) + f" | {ratio} |")
    return out + [""]


def w3_goals(self, w):
    """W3's goals, reported (not asserted)."""
    if w == "W3_pingpong":
        metric, n, title = "ns_per_roundtrip", 100, "with 100 connections"
    else:
        metric, n, title = "ns_per_mb", max(self.sizes(w) or [0]), "bulk"
    out = []
    peer = self.best(w, n, metric, "peer")
    ref = self.median(w, "min_epoll", n, metric)
    for impl in self.impls(w):
        mine = self.median(w, impl, n, metric)
        if bench_data.impl_kind(impl) != "torsion" or mine is None:
            continue
        parts = []
        if peer and w == "W3_pingpong":
            ok = peer[1] / mine >= 1.0
            parts.append(f"{peer[1] / mine:.2f}× the best peer's rate ({peer[0]}; goal ≥ 1.00: "
                         f"{'met' if ok else 'not met'})")
        if ref:
            ok = ref / mine >= 0.95
            parts.append(f"{ref / mine:.2f}× min_epoll's (goal ≥ 0.95: "
                         f"{'met' if ok else 'not met'})")
        if parts:
            out.append(f"- {impl} {title}: " + "; ".join(parts))
    return (["Goals (wall-time rates; reported, not asserted):", ""] + out + [""]) if out else []


Report.w5_metric = w5_metric
Report.w5_section = w5_section
Report.w3_goals = w3_goals


# One colour per series, never shared: torsion in blues and teal (solid
# lines), the minimal loops in greys (dotted), each peer its own hue (dashed).
COLOURS = {
    "torsion": "#0b2e6b", "torsion_epoll": "#1f4e9c", "torsion_poll": "#3a8fd9",
    "torsion_select": "#8cc8f2", "torsion_io_uring": "#12a39a", "torsion_glib": "#5d6fb8",
    "torsion_qt": "#41b3d3",
    "min_epoll": "#222222", "min_poll": "#6e6e6e", "min_select": "#a8a8a8",
    "min_io_uring": "#4a6b68", "plain_anyinvocable": "#555555",
    "libevent": "#d62728", "libev": "#ff7f0e", "libuv": "#2ca02c", "asio": "#9467bd",
    "twisted": "#8c564b",
}
# For names outside the table: distinct from every colour above.
SPARE_COLOURS = ["#e377c2", "#bcbd22", "#17becf", "#7f3f00", "#f4a300", "#5b3a8e"]
assert len(set(COLOURS.values()) | set(SPARE_COLOURS)) == len(COLOURS) + len(SPARE_COLOURS), \
    "two series would share a colour"


def colour_of(impl):
    if impl in COLOURS:
        return COLOURS[impl]
    spare = sorted(i for i in bench_data.IMPL_ORDER if i not in COLOURS)
    index = (spare.index(impl) if impl in spare else sum(map(ord, impl)))
    return SPARE_COLOURS[index % len(SPARE_COLOURS)]


def impl_style(impl):
    kind = bench_data.impl_kind(impl)
    if kind == "torsion":
        return {"color": colour_of(impl), "linestyle": "-", "linewidth": 2.4, "marker": "o"}
    if kind == "min":
        return {"color": colour_of(impl), "linestyle": ":", "linewidth": 1.6, "marker": "s"}
    return {"color": colour_of(impl), "linestyle": "--", "linewidth": 1.4, "marker": "^"}


def time_unit(values_ns):
    """(divisor, unit) in which the typical value (the median of the
    medians) reads as 1 to 999: ns, µs or ms."""
    top = float(np.median(values_ns)) if values_ns else 0
    if top >= 1e6:
        return 1e6, "ms"
    if top >= 1e3:
        return 1e3, "µs"
    return 1.0, "ns"


def fmt_value(v):
    """A plotted value without an exponent: 1,570, 15.7, 0.157."""
    return f"{v:,.0f}" if v >= 100 else f"{v:.3g}"


def plot_lines(report, workload, path):
    """Cost per event against N, one line per implementation."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter
    metric = report.metrics(workload)[0]
    fig, ax = plt.subplots(figsize=(9, 5.5))
    series = []
    for impl in report.impls(workload):
        points = [(n, s) for n in report.sizes(workload)
                  if (s := report.stats.get((bench_data.BenchKey(workload, impl, n), metric)))]
        if points:
            series.append((impl, points))
    scale, unit = time_unit([s["median"] for _, points in series for _, s in points])
    sizes = sorted({n for _, points in series for n, _ in points})
    for impl, points in series:
        xs = [n for n, _ in points]
        ys = [s["median"] / scale for _, s in points]
        err = [[(s["median"] - s["q1"]) / scale for _, s in points],
               [(s["q3"] - s["median"]) / scale for _, s in points]]
        ax.errorbar(xs, ys, yerr=err, label=impl, capsize=3, **impl_style(impl))
    ax.set_xscale("log")
    ax.set_yscale("log")
    # Plain numbers on both axes: the sizes that ran, and the cost in its unit.
    ax.xaxis.set_major_locator(FixedLocator(sizes))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_value(v)))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: fmt_value(v)))
    ax.tick_params(axis="y", which="minor", labelsize=7)
    ax.set_xlabel("N (socket pairs)")
    ax.set_ylabel(f"{axis_label(metric, unit)} (median, IQR bars; lower is better)")
    ax.set_title(WORKLOADS.get(workload, workload), fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    save(fig, path)


def axis_label(metric, unit):
    """ns_per_call -> 'µs per call'; wakeup_p50_ns -> 'wakeup p50 (µs)'."""
    if metric.startswith("ns_per_"):
        return f"{unit} per {metric[len('ns_per_'):]}"
    return f"{bench_data.metric_label(metric)} ({unit})"


def plot_bars(report, panels, title, path):
    """Horizontal bars per implementation, one panel per (workload, metric)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 5.2), squeeze=False)
    notes = []
    for ax, (workload, metric, label) in zip(axes[0], panels):
        rows, sizes = [], []
        for impl in report.impls(workload):
            ns = [n for n in report.sizes(workload)
                  if (bench_data.BenchKey(workload, impl, n), metric) in report.stats]
            if ns:
                rows.append((impl, report.stats[(bench_data.BenchKey(workload, impl, ns[-1]),
                                                 metric)], ns[-1]))
                sizes.append(ns[-1])
        if not rows:
            continue
        n = max(set(sizes), key=sizes.count)  # the size most implementations ran
        # Peers doing different work here (COMPARABLE_PEERS) are marked, so
        # the bars are not read as a like-for-like comparison.
        other = {impl for impl, _, _ in rows if bench_data.impl_kind(impl) == "peer"
                 and not comparable(workload, impl)}
        rows = [((impl if size == n else f"{impl} (N={size})") + (" †" if impl in other else ""),
                 s) for impl, s, size in rows]
        if other:
            notes.append(f"† {label}: " + ", ".join(sorted(other)) +
                         " run it without polling between calls, unlike torsion: different work")
        ys = np.arange(len(rows))
        # One unit per panel, for the axis and the bar labels alike.
        scale, unit = time_unit([s["median"] for _, s in rows])
        medians = [s["median"] / scale for _, s in rows]
        err = [[(s["median"] - s["q1"]) / scale for _, s in rows],
               [(s["q3"] - s["median"]) / scale for _, s in rows]]
        colours = [colour_of(impl.split(" ")[0]) for impl, _ in rows]
        bars = ax.barh(ys, medians, xerr=err, color=colours, capsize=2)
        for bar, (impl, _) in zip(bars, rows):
            if impl.endswith("†"):
                bar.set_hatch("//")
                bar.set_edgecolor("white")
        ax.set_yticks(ys, [impl for impl, _ in rows], fontsize=8)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_value(v)))
        ax.set_xlabel(f"{axis_label(metric, unit)} (median, IQR bars; log scale)", fontsize=9)
        ax.set_title(f"{label}, N={n}", fontsize=10)
        ax.grid(True, axis="x", which="both", alpha=0.3)
        ax.set_xlim(left=min(s["q1"] for _, s in rows) / scale / 3,
                    right=max(s["q3"] for _, s in rows) / scale * 6)
        for y, (_, s) in zip(ys, rows):
            ax.text(max(s["q3"], s["median"]) / scale * 1.15, y,
                    f"{fmt_value(s['median'] / scale)} {unit}", va="center", fontsize=7)
    fig.suptitle(title + " — lower is better", fontsize=11)
    if notes:
        fig.text(0.01, 0.005, "\n".join(notes), fontsize=8, va="bottom")
        fig.tight_layout(rect=(0, 0.03 * len(notes) + 0.02, 1, 1))
        save(fig, path, tight=False)
        return
    save(fig, path)


def plot_w3(report, path):
    """Echo throughput per implementation (round trips/s per connection count,
    bulk MB/s) and ping-pong latency p50/p99: higher rates, lower latency."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(15, 5.4))
    key = bench_data.BenchKey

    def panel_rates(ax, workload, metric, unit, title):
        impls = report.impls(workload)
        sizes = report.sizes(workload)
        width = 0.8 / max(len(sizes), 1)
        ys = np.arange(len(impls))
        for j, n in enumerate(sizes):
            vals, lo, hi = [], [], []
            for impl in impls:
                s = report.stats.get((key(workload, impl, n), metric))
                rate = 1e9 / s["median"] if s else 0
                vals.append(rate)
                lo.append(rate - 1e9 / s["q1"] if s else 0)  # q1 cost = higher rate
                hi.append(1e9 / s["q3"] - rate if s else 0)
            ax.barh(ys + (j - (len(sizes) - 1) / 2) * width, vals, height=width,
                    xerr=[[abs(x) for x in hi], [abs(x) for x in lo]], capsize=2,
                    label=f"N={n}", color=plt.cm.Blues(0.35 + 0.6 * j / max(len(sizes), 1)))
        ax.set_yticks(ys, [f"{i} ◀" if bench_data.impl_kind(i) == "torsion" else i
                           for i in impls], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel(f"{unit} (median, IQR bars; higher is better)", fontsize=9)
        ax.set_title(title, fontsize=10)
        ax.grid(True, axis="x", alpha=0.3)
        if len(sizes) > 1:
            ax.legend(fontsize=8, title="connections", title_fontsize=8)

    if "W3_pingpong" in report.workloads:
        panel_rates(axes[0], "W3_pingpong", "ns_per_roundtrip", "round trips/s",
                    "Ping-pong throughput")
        impls = report.impls("W3_pingpong")
        n = 100 if 100 in report.sizes("W3_pingpong") else max(report.sizes("W3_pingpong"))
        ys = np.arange(len(impls))
        worst = max((report.median("W3_pingpong", i, n, "latency_p99_ns") or 0) for i in impls)
        scale, unit = (1e6, "ms") if worst >= 1e7 else (1e3, "µs")
        for offset, metric, colour in ((-0.2, "latency_p50_ns", "#4c72b0"),
                                       (0.2, "latency_p99_ns", "#dd8452")):
            vals = [(report.median("W3_pingpong", i, n, metric) or 0) / scale for i in impls]
            axes[1].barh(ys + offset, vals, height=0.4, color=colour,
                         label=metric.split("_")[1])
            for y, v in zip(ys + offset, vals):
                axes[1].text(v, y, f" {fmt_value(v)}", va="center", fontsize=7)
        axes[1].set_yticks(ys, impls, fontsize=8)
        axes[1].invert_yaxis()
        # Room right of the longest bar for its label and the legend.
        top = max([(report.median("W3_pingpong", i, n, "latency_p99_ns") or 0) / scale
                   for i in impls] + [1e-9])
        axes[1].set_xlim(0, top * 1.45)
        axes[1].set_xlabel(f"latency, {unit} (median over repetitions; lower is better)",
                           fontsize=9)
        axes[1].set_title(f"Ping-pong latency, N={n} connections", fontsize=10)
        axes[1].legend(fontsize=8, loc="upper right")
        axes[1].grid(True, axis="x", which="both", alpha=0.3)
    if "W3_bulk" in report.workloads:
        panel_rates(axes[2], "W3_bulk", "ns_per_mb", "MB/s", "Bulk stream, one connection")
    else:
        fig.delaxes(axes[2])
    if "W3_pingpong" not in report.workloads:
        fig.delaxes(axes[0])
        fig.delaxes(axes[1])
    fig.suptitle("W3 TCP echo on 127.0.0.1 (one epoll load generator, a server per "
                 "implementation)", fontsize=11)
    save(fig, path)


def save(fig, path, tight=True):
    import matplotlib.pyplot as plt
    if tight:
        fig.tight_layout()
    fig.savefig(path + ".png", dpi=110)
    fig.savefig(path + ".svg")
    plt.close(fig)


def make_plots(report, out_dir):
    import matplotlib
    matplotlib.use("Agg")
    plots = {}
    if "W1_pipes" in report.workloads:
        plot_lines(report, "W1_pipes", os.path.join(out_dir, "w1_pipes"))
        plots["W1_pipes"] = "w1_pipes"
    if "W2_timers" in report.workloads:
        panels = [("W2_timers", m, m[len("ns_per_"):])
                  for m in ("ns_per_schedule", "ns_per_cancel", "ns_per_fire")
                  if m in report.metrics("W2_timers")]
        plot_bars(report, panels, "W2 timers: cost per timer", os.path.join(out_dir, "w2_timers"))
        plots["W2_timers"] = "w2_timers"
    panels = [(w, "ns_per_call", w.split("_")[1]) for w in ("W4_chain", "W4_batch")
              if w in report.workloads]
    if panels:
        plot_bars(report, panels, "W4 call soon: cost per call",
                  os.path.join(out_dir, "w4_call_soon"))
        for w, _, _ in panels:
            plots[w] = "w4_call_soon"
    if "W3_pingpong" in report.workloads or "W3_bulk" in report.workloads:
        plot_w3(report, os.path.join(out_dir, "w3_echo"))
        plots["W3_pingpong"] = plots["W3_bulk"] = "w3_echo"
    panels = [(w, m, label) for w, m, label in (
        ("W6_throughput", "ns_per_call", "throughput"),
        ("W6_wakeup", "wakeup_p50_ns", "wake-up p50"),
        ("W6_wakeup", "wakeup_p99_ns", "wake-up p99"))
        if w in report.workloads and m in report.metrics(w)]
    if panels:
        plot_bars(report, panels, "W6 calls from another thread",
                  os.path.join(out_dir, "w6_call_from_thread"))
        for w, _, _ in panels:
            plots[w] = "w6_call_from_thread"
    panels = [("W7_lateness", m, m.split("_")[1]) for m in
              ("lateness_p50_ns", "lateness_p99_ns", "lateness_max_ns")
              if "W7_lateness" in report.workloads and m in report.metrics("W7_lateness")]
    if panels:
        plot_bars(report, panels, "W7 timer lateness per backend",
                  os.path.join(out_dir, "w7_lateness"))
        plots["W7_lateness"] = "w7_lateness"
    return plots


def soak_section(path, failed):
    """The soak's own markdown fragment (it brings its heading)."""
    if not path:
        return ""
    lines = [""]
    if failed:
        lines += ["**The soak failed on at least one backend**; its output above the "
                  "report says which and why.", ""]
    try:
        with open(path, encoding="utf-8") as f:
            lines.append(f.read().rstrip("\n"))
    except OSError as e:
        lines.append(f"No soak figures: {e}.")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="+", help="Google Benchmark JSON files")
    parser.add_argument("--out", default="bench-report")
    parser.add_argument("--settings", default="{}", help="JSON: how tools/bench was run")
    parser.add_argument("--repo", default=os.getcwd())
    parser.add_argument("--ledger", help="a cost ledger (tools/ledger.py) to show beside "
                        "the times")
    parser.add_argument("--soak", help="the soak's markdown fragment (tools/soak), "
                        "included as it is")
    parser.add_argument("--soak-failed", action="store_true",
                        help="the soak exited with a failure; say so above its table")
    args = parser.parse_args(argv)
    ledger_data = None
    if args.ledger:
        import ledger
        try:
            ledger_data = ledger.load(args.ledger)
        except (OSError, ValueError) as e:
            print(f"bench_report: no ledger columns: {e}", file=sys.stderr)
    entries, contexts = [], {}
    for path in args.inputs:
        try:
            file_entries = bench_data.load_entries(path)
            with open(path, encoding="utf-8") as f:
                contexts[os.path.basename(path)] = json.load(f).get("context", {})
        except (OSError, ValueError) as e:
            print(f"bench_report: skipping {path}: {e}", file=sys.stderr)
            continue
        for entry in file_entries:
            key = bench_data.parse_name(entry.get("run_name") or entry.get("name", ""))
            if key:
                entry = dict(entry, workload=key.workload, impl=key.impl, n=key.n,
                             source=os.path.basename(path))
            entries.append(entry)
    samples, errors = bench_data.collect(entries)
    sized = {k: v for context in contexts.values()
             for k, v in bench_data.sized_cells(context).items()}
    if not samples and not errors:
        print("bench_report: no benchmark results to report", file=sys.stderr)
        return 1
    os.makedirs(args.out, exist_ok=True)
    report = Report(samples, errors, ledger_data["rows"] if ledger_data else None, sized)
    fp = fingerprint(args.repo)
    settings = json.loads(args.settings)
    summary = [{"benchmark": str(k), "metric": m, **s} for (k, m), s in sorted(
        report.stats.items(), key=lambda kv: (str(kv[0][0]), kv[0][1]))]
    with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
        json.dump({"fingerprint": fp, "settings": settings, "summary": summary,
                   "skipped": {str(k): v for k, v in errors.items()},
                   "contexts": contexts, "benchmarks": entries,
                   "ledger": ledger_data}, f, indent=1)
    plots = make_plots(report, args.out)
    with open(os.path.join(args.out, "report.md"), "w", encoding="utf-8") as f:
        f.write(report.markdown(fp, settings, plots))
        f.write(soak_section(args.soak, args.soak_failed))
    print(f"bench_report: wrote {args.out}/report.md, results.json and "
          f"{len(set(plots.values()))} plots (PNG and SVG)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
