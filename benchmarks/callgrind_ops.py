#!/usr/bin/env python3
"""Callgrind instruction counts per operation for the W1, W2 and W4 workloads.

drivers.h marks every phase boundary with CALLGRIND_DUMP_STATS, so each dump
holds exactly one timed phase. Usage (binaries built with --config=opt):

  benchmarks/callgrind_ops.py BINARY:IMPL [BINARY:IMPL ...]
  e.g. .bazel/bin/benchmarks/torsion_bench:torsion_epoll .bazel/bin/benchmarks/min_bench:min_epoll

Prints user-space instructions per schedule, cancel, fire (W2, N=100,000),
per call (W4 chain of 10,000; W4 batch of 1,000) and per event (W1, N=1,000;
1,100 events a round). See docs/performance.md.
"""
import glob
import os
import re
import statistics
import subprocess
import sys
import tempfile


def dumps(binary, bench, extra=()):
    out = os.path.join(tempfile.mkdtemp(prefix="callgrind_ops"), "cg.out")
    subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, binary,
                    "--benchmark_filter=^" + bench + "/", *extra],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    files = sorted(glob.glob(out + ".*"), key=lambda f: int(f.rsplit(".", 1)[1]))
    totals = []
    for f in files:
        m = re.search(r"^(?:totals|summary): (\d+)", open(f).read(), re.M)
        totals.append(int(m.group(1)) if m else 0)
    return totals


def timers(binary, impl, n=100000):
    # Marks at t0..t4: dumps are [setup, schedule, cancel, sleep, fire].
    t = dumps(binary, f"W2_timers/{impl}/{n}")
    fired = (n + 1) // 2
    return t[1] / n, t[2] / (n - fired), t[4] / fired


def perIteration(binary, bench, ops):
    # Marks alternate start/end of an iteration; skip the warm-up iteration.
    its = dumps(binary, bench, ["--benchmark_min_time=0.05"])[1::2]
    return statistics.median(its[1:] if len(its) > 2 else its) / ops


for spec in sys.argv[1:]:
    binary, impl = spec.rsplit(":", 1)
    s, c, f = timers(binary, impl)
    chain = perIteration(binary, f"W4_chain/{impl}/10000", 10000)
    batch = perIteration(binary, f"W4_batch/{impl}/1000", 1000)
    w1 = perIteration(binary, f"W1_pipes/{impl}/1000", 1100)
    print(f"{impl:16s} schedule {s:7.1f} cancel {c:7.1f} fire {f:7.1f} "
          f"chain {chain:7.1f} batch {batch:7.1f} w1 {w1:7.1f}", flush=True)
