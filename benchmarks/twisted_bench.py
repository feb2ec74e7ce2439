#!/usr/bin/python3
"""Twisted itself running the timer (W2) and call-soon (W4) workloads.

The same workloads as benchmarks/drivers.h, through Twisted's public reactor
API (callLater, DelayedCall.cancel, reactor.iterate), with smaller sizes since
Python is slower. Writes Google Benchmark's JSON layout (one entry per
repetition, counters ns_per_*) so tools/bench_report.py reads it like the C++
binaries' output.

    /usr/bin/python3 benchmarks/twisted_bench.py --timers 100000 --chain 10000 \
        --repetitions 5 --out twisted.json
"""
import argparse
import random
import sys
import time

from twisted.internet import epollreactor

epollreactor.install()
from twisted.internet import reactor  # noqa: E402  (must follow install())
from twisted_results import repetition_entry, write_results  # noqa: E402

IMPL = "twisted"
# Same parameters as benchmarks/workload.h.
TIMER_SEED = 20220623
TIMER_SPAN = 1.0
CALL_SOON_BATCH = 1000
STALL_LIMIT = 30.0
# Measured with this thread's CPU time, like the C++ benchmarks (drivers.h).
cpu = time.thread_time


def run_until(done):
    """Runs reactor passes until done(); raises if the loop stalls."""
    start = time.perf_counter()
    while not done():
        reactor.iterate(0)
        if time.perf_counter() - start > STALL_LIMIT:
            raise RuntimeError("workload stalled")


def timers(n):
    rng = random.Random(TIMER_SEED)
    delays = [rng.random() * TIMER_SPAN for _ in range(n)]
    fired = [0]

    def on_fire():
        fired[0] += 1

    expected = (n + 1) // 2
    scheduled = time.perf_counter()
    t0 = cpu()
    calls = [reactor.callLater(d, on_fire) for d in delays]
    t1 = cpu()
    for call in calls[1::2]:
        call.cancel()
    t2 = cpu()
    time.sleep(max(0.0, scheduled + TIMER_SPAN + 0.005 - time.perf_counter()))
    t3 = cpu()
    run_until(lambda: fired[0] >= expected)
    t4 = cpu()
    reactor.iterate(0)
    if fired[0] != expected:
        raise RuntimeError(f"{fired[0]} timers fired, expected {expected}")
    return (t2 - t0) + (t4 - t3), {
        "ns_per_schedule": (t1 - t0) * 1e9 / n,
        "ns_per_cancel": (t2 - t1) * 1e9 / (n - expected),
        "ns_per_fire": (t4 - t3) * 1e9 / expected,
    }


def chain(n):
    left = [n]

    def step():
        left[0] -= 1
        if left[0] > 0:
            reactor.callLater(0, step)

    t0 = cpu()
    reactor.callLater(0, step)
    run_until(lambda: left[0] <= 0)
    elapsed = cpu() - t0
    return elapsed, {"ns_per_call": elapsed * 1e9 / n}


def batch(n):
    ran = [0]

    def on_call():
        ran[0] += 1

    t0 = cpu()
    for _ in range(n):
        reactor.callLater(0, on_call)
    run_until(lambda: ran[0] >= n)
    elapsed = cpu() - t0
    return elapsed, {"ns_per_call": elapsed * 1e9 / n}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timers", type=int, default=100000)
    parser.add_argument("--chain", type=int, default=10000)
    parser.add_argument("--batch", type=int, default=CALL_SOON_BATCH)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--only", default="W2,W4", help="workloads, e.g. W2")
    parser.add_argument("--out", help="JSON output file (default: stdout)")
    args = parser.parse_args()
    if min(args.timers, args.chain, args.batch, args.repetitions) < 1:
        parser.error("sizes and --repetitions must be positive")
    only = {w.strip() for w in args.only.split(",")}

    cases = []
    if "W2" in only:
        cases.append((f"W2_timers/{IMPL}/{args.timers}", timers, args.timers, "ms"))
    if "W4" in only:
        cases.append((f"W4_chain/{IMPL}/{args.chain}", chain, args.chain, "us"))
        cases.append((f"W4_batch/{IMPL}/{args.batch}", batch, args.batch, "us"))
    scale = {"ms": 1e3, "us": 1e6}
    entries = []
    for name, workload, n, unit in cases:
        # One unmeasured round warms up the interpreter and the reactor
        # (not for timers: a round costs a second of sleep).
        if workload is not timers:
            workload(n)
        for rep in range(args.repetitions):
            print(f"  {name} repetition {rep + 1}/{args.repetitions}", file=sys.stderr)
            seconds, counters = workload(n)
            entries.append(repetition_entry(name, args.repetitions, rep, 1,
                                            seconds * scale[unit], unit, **counters))
    write_results("benchmarks/twisted_bench.py", {"reactor": type(reactor).__name__}, entries, args.out)


if __name__ == "__main__":
    main()
