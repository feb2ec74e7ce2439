#!/usr/bin/python3
"""Callgrind instruction counts per operation for the W1, W2 and W4 workloads.

The workloads mark their timed phases for the cost ledger (benchmarks/ledger.h,
tools/ledger.py); under callgrind only those phases are collected, each dump
labelled with its benchmark, operation and operation count. Usage (binaries
built with --config=opt):

  benchmarks/callgrind_ops.py BINARY:IMPL [BINARY:IMPL ...]
  e.g. .bazel/bin/benchmarks/torsion_bench:torsion_epoll .bazel/bin/benchmarks/min_bench:min_epoll

Prints user-space instructions per schedule, cancel, fire (W2, N=100,000),
per call (W4 chain of 10,000; W4 batch of 1,000) and per event (W1, N=1,000),
each over two rounds (one for W2). `tools/ledger.py` gives the same counts
with system calls, allocations and context switches beside them. See
docs/performance.md.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import ledger  # noqa: E402


def per_op(totals, benchmark, op):
    t = totals.get((benchmark, op))
    return t["instructions"] / t["ops"] if t and t["ops"] else float("nan")


def main(specs):
    for spec in specs:
        path, impl = spec.rsplit(":", 1)
        unit = ledger.BenchUnit(
            os.path.basename(path),
            f"^(W2_timers/{impl}/100000|W4_(chain|batch)/{impl}/[0-9]+|W1_pipes/{impl}/1000)(/|$)")
        totals, errors = ledger.run_bench_unit(unit, "callgrind", os.path.dirname(path), 900)
        for benchmark, message in errors.items():
            print(f"{benchmark}: {message}", file=sys.stderr)
        w2 = f"W2_timers/{impl}/100000"
        print(f"{impl:16s} schedule {per_op(totals, w2, 'schedule'):7.1f} "
              f"cancel {per_op(totals, w2, 'cancel'):7.1f} fire {per_op(totals, w2, 'fire'):7.1f} "
              f"chain {per_op(totals, f'W4_chain/{impl}/10000', 'call'):7.1f} "
              f"batch {per_op(totals, f'W4_batch/{impl}/1000', 'call'):7.1f} "
              f"w1 {per_op(totals, f'W1_pipes/{impl}/1000', 'event'):7.1f}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1:])
