#!/usr/bin/python3
"""Twisted's Deferreds running workload W5 (the scenarios of deferred_bench.cc).

Runs on Debian's python3-twisted with timeit and writes Google Benchmark's
JSON layout (one entry per repetition; real_time and the counter ns_per_op
are thread CPU ns per scenario run, named W5_<scenario>/twisted/<N>) so tools/bench_report.py and
tools/bench_compare.py read it like the C++ binary's output. The six
scenarios of Twisted's benchmarks/test_deferred.py keep their names.

    /usr/bin/python3 benchmarks/twisted_deferred_bench.py --repetitions 5 \
        --out twisted_w5.json
"""
import argparse
import sys
import time
import timeit

from twisted.internet import defer
from twisted.internet.defer import Deferred, DeferredList, ensureDeferred, gatherResults, succeed
from twisted_results import repetition_entry, write_results

IMPL = "twisted"


def f(x, a):
    return x + a


# --- Twisted's benchmarks/test_deferred.py (same bodies) ------------------------

def deferred_await(n):
    async def run():
        for x in range(n):
            await succeed(x)

    return lambda: ensureDeferred(run())


# The await alone: one Deferred with its result, awaited n times.
def await_fired(n):
    async def run(d):
        for _ in range(n):
            await d

    return lambda: ensureDeferred(run(succeed(None)))


def callback_chain_fires_at_start(_):
    def go():
        d = Deferred()
        d.callback(2)
        d.addCallback(f, 1)
        d.addCallback(f, 2)
        d.addCallback(f, 3)
        d.addCallback(f, 4)
    return go


def callback_chain_fires_at_end(_):
    def go():
        d = Deferred()
        d.addCallback(f, 1)
        d.addCallback(f, 2)
        d.addCallback(f, 3)
        d.addCallback(f, 4)
        d.callback(2)
    return go


def errback_chain(_):
    def go():
        d = succeed("result")

        def cb_raise(_):
            raise Exception("boom!")

        d.addCallback(cb_raise)

        def eb_handle(failure):
            failure.trap(Exception)
            raise Exception("lesser boom!")

        d.addErrback(eb_handle)
        d.addBoth(lambda _: None)
    return go


def chained_already_fired(_):
    def go():
        d = Deferred()
        d2 = Deferred()
        d3 = Deferred()
        d2.callback(123)
        d3.callback(456)
        d.addCallback(lambda _: d2)
        d.addCallback(lambda _: d3)
        d.callback(123)
    return go


def chained_not_fired(_):
    def go():
        d = Deferred()
        d2 = Deferred()
        d3 = Deferred()
        d4 = Deferred()
        d3.addCallback(lambda _: d4)
        d3.callback(123)
        d.addCallback(lambda _: d2)
        d.addCallback(lambda _: d3)
        d2.callback(123)
        d4.callback(57)
        d.callback(7)
    return go


# --- the basics -------------------------------------------------------------------

def instantiate(_):
    return Deferred


def succeed_one(_):
    return lambda: succeed(1)


def add_callback_callback(_):
    def go():
        total = [0]

        def cb(v):
            total[0] += v

        d = Deferred()
        d.addCallback(cb)
        d.callback(1)
    return go


def chain(n):
    def go():
        d = Deferred()
        for i in range(n):
            d.addCallback(f, i)
        d.callback(0)
    return go


def fired_chain(n):
    def go():
        d = succeed(0)
        for i in range(n):
            d.addCallback(f, i)
    return go


def returned_deferreds(n):
    def go():
        d = Deferred()
        for _ in range(n):
            d.addCallback(lambda x: succeed(x + 1))
        d.callback(0)
    return go


def deferred_list(n):
    def go():
        ds = [Deferred() for _ in range(n)]
        DeferredList(ds)
        for i, d in enumerate(ds):
            d.callback(i)
    return go


def gather_results(n):
    def go():
        ds = [Deferred() for _ in range(n)]
        gatherResults(ds)
        for i, d in enumerate(ds):
            d.callback(i)
    return go


def work_coroutine(n):
    async def run():
        x = 0
        for _ in range(n):
            x = await succeed(x + 1)
        return x

    return lambda: ensureDeferred(run())


# (scenario, N, factory) in deferred_bench.cc's order. work_callbacks is
# returned_deferreds/100 under its pairing name.
SCENARIOS = [
    ("deferred_await", 1000, deferred_await),
    ("await_fired", 1000, await_fired),
    ("callback_chain_fires_at_start", 4, callback_chain_fires_at_start),
    ("callback_chain_fires_at_end", 4, callback_chain_fires_at_end),
    ("errback_chain", 1, errback_chain),
    ("chained_already_fired", 2, chained_already_fired),
    ("chained_not_fired", 2, chained_not_fired),
    ("instantiate", 1, instantiate),
    ("succeed", 1, succeed_one),
    ("add_callback_callback", 1, add_callback_callback),
    ("chain", 1, chain),
    ("chain", 2, chain),
    ("chain", 4, chain),
    ("chain", 100, chain),
    ("fired_chain", 100, fired_chain),
    ("returned_deferreds", 1, returned_deferreds),
    ("returned_deferreds", 10, returned_deferreds),
    ("returned_deferreds", 100, returned_deferreds),
    ("deferred_list", 10, deferred_list),
    ("deferred_list", 1000, deferred_list),
    ("gather_results", 10, gather_results),
    ("gather_results", 1000, gather_results),
    ("work_callbacks", 100, returned_deferreds),
    ("work_coroutine", 100, work_coroutine),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--min-time", type=float, default=0.2,
                        help="seconds per repetition (timeit picks the count)")
    parser.add_argument("--filter", default="", help="run scenarios whose name contains this")
    parser.add_argument("--out", help="JSON output file (default: stdout)")
    args = parser.parse_args()
    if args.repetitions < 1 or args.min_time <= 0:
        parser.error("--repetitions and --min-time must be positive")

    entries = []
    for scenario, n, factory in SCENARIOS:
        name = f"W5_{scenario}/{IMPL}/{n}"
        if args.filter not in name:
            continue
        # Thread CPU time, like twisted_bench.py and deferred_bench's ns_per_op.
        timer = timeit.Timer(factory(n), timer=time.thread_time)
        # autorange: the smallest count taking >= 0.2 s; scale to --min-time.
        number, seconds = timer.autorange()
        number = max(1, int(number * args.min_time / max(seconds, 1e-9)))
        for rep in range(args.repetitions):
            print(f"  {name} repetition {rep + 1}/{args.repetitions}", file=sys.stderr)
            seconds = timer.timeit(number)
            per_run_ns = seconds * 1e9 / number
            entries.append(repetition_entry(name, args.repetitions, rep, number, per_run_ns,
                                            "ns", ns_per_op=per_run_ns))
    write_results("benchmarks/twisted_deferred_bench.py", {"debugging": defer.getDebugging()}, entries, args.out)


if __name__ == "__main__":
    main()
