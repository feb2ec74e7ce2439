#!/usr/bin/python3
"""The cost ledger: what each benchmark's operation costs in counts that do
not move with the machine's load.

    ledger.py --bin DIR [--preset ci|tiny|report] [--impls A,B] [--jobs N] --out FILE

For every workload and implementation of the preset it runs the benchmark
binaries in DIR (built with --config=opt) three times:

  native     allocations (the binaries' counting malloc) and context
             switches (getrusage) per phase, from TORSION_LEDGER's lines;
  callgrind  user-space instructions per phase (valgrind --tool=callgrind,
             collection on only inside a phase);
  strace     system calls by name per phase (strace -f, the calls of the
             phase's thread between its two marker calls).

The phases are the ones the report times (benchmarks/ledger.h). Rounds are
fixed (TORSION_BENCH_ITERATIONS), so every run does the same work. W3's echo
server has no phases of its own: the ledger runs the load generator twice,
with a short and a long run of the same warm-up, and divides the difference
by the extra round trips, which cancels start-up, accept and shutdown.

Writes FILE (JSON): per benchmark and operation the operations counted and,
per operation, instructions, system calls by name and in total, heap
allocations, and voluntary and involuntary context switches; and the
benchmarks that failed or were skipped, with the reason. tools/ledger_gate.py
compares two such files.
"""
import argparse
import collections
import concurrent.futures
import dataclasses
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_data  # noqa: E402

LEDGER_VERSION = 1
MARK = "torsion-ledger"

# Implementations per binary (the report's names).
TORSION = ["torsion_epoll", "torsion_poll", "torsion_select", "torsion_io_uring"]
MINIMAL = ["min_epoll", "min_poll", "min_select"]
PEER_BINARIES = {"libevent": "libevent_bench", "libev": "libev_bench",
                 "libuv": "libuv_bench", "asio": "asio_bench"}
ECHO_BINARIES = {"torsion": "echo_torsion", "min": "echo_min", "libevent": "echo_libevent",
                 "libev": "echo_libev", "libuv": "echo_libuv", "asio": "echo_asio"}


@dataclasses.dataclass(frozen=True)
class BenchUnit:
    """Google Benchmark workloads of one binary, counted by their phases."""
    binary: str
    filter: str          # --benchmark_filter
    iterations: int = 2  # TORSION_BENCH_ITERATIONS (W1, W4; W2 runs once)
    min_time: float = 0.001  # for benchmarks without fixed rounds (W5)

    @property
    def name(self):
        return f"{self.binary} {self.filter}"


@dataclasses.dataclass(frozen=True)
class EchoUnit:
    """W3 ping-pong against one echo server, counted by difference."""
    impl: str
    connections: int = 1
    short: int = 300  # round trips of the short run
    long: int = 900   # and of the long one
    warmup: int = 50

    @property
    def binary(self):
        return ECHO_BINARIES[self.impl.split("_")[0]]

    @property
    def benchmark(self):
        return f"W3_pingpong/{self.impl}/{self.connections}"

    @property
    def name(self):
        return self.benchmark


def alternation(names):
    return "|".join(re.escape(n) for n in names)


def bench_units(impls, w1_sizes, w2_sizes, w4=True, iterations=2):
    """The drivers.h workloads (W1, W2, W4) of these implementations, one
    unit per binary."""
    by_binary = collections.defaultdict(list)
    for impl in impls:
        if impl in TORSION:
            by_binary["torsion_bench"].append(impl)
        elif impl in MINIMAL:
            by_binary["min_bench"].append(impl)
        elif impl in PEER_BINARIES:
            by_binary[PEER_BINARIES[impl]].append(impl)
    units = []
    for binary, names in by_binary.items():
        parts = []
        if w1_sizes:
            parts.append(f"W1_pipes/({alternation(names)})/({'|'.join(map(str, w1_sizes))})")
        if w2_sizes:
            parts.append(f"W2_timers/({alternation(names)})/({'|'.join(map(str, w2_sizes))})")
        if w4:
            parts.append(f"W4_(chain|batch)/({alternation(names)})/[0-9]+")
        units.append(BenchUnit(binary, "^(" + "|".join(parts) + ")(/|$)", iterations))
    return units


def plan(preset, impls=None):
    """The units of a preset. `impls` narrows the implementations."""
    def keep(names):
        return [n for n in names if impls is None or n in impls]

    if preset == "tiny":
        # The self-test's workload: dispatch (W1), a removable benchmark (W4
        # batch) and the TCP read path (W3), torsion on epoll only.
        return [BenchUnit("torsion_bench",
                          "^(W1_pipes/torsion_epoll/100|W4_batch/torsion_epoll/1000)(/|$)"),
                EchoUnit("torsion_epoll", short=200, long=600, warmup=50)]
    if preset == "ci":
        units = bench_units(keep(TORSION + MINIMAL), [100, 1000], [1000])
        units += [EchoUnit(i) for i in keep(["torsion_epoll", "torsion_poll", "min_epoll"])]
        if impls is None or "torsion" in impls:
            units.append(BenchUnit("deferred_bench", "^W5_", iterations=200))
        return units
    if preset == "report":
        # tools/bench's columns: the sizes of its quick run where a ledger run
        # stays short (W2's timers at 100,000, not a million).
        units = bench_units(keep(TORSION + MINIMAL + list(PEER_BINARIES)), [100, 1000],
                            [100000])
        # Not torsion_io_uring's echo server: under valgrind its blocking
        # io_uring wait often keeps the server's watchdog thread from running,
        # so the server cannot be stopped and the run is killed.
        units += [EchoUnit(i) for i in keep([t for t in TORSION if t != "torsion_io_uring"]
                                            + ["min_epoll"] + list(PEER_BINARIES))]
        if impls is None or "torsion" in impls:
            units.append(BenchUnit("deferred_bench", "^W5_", iterations=200))
        return units
    raise ValueError(f"unknown preset {preset!r} (ci, tiny, report)")


# --- parsing ----------------------------------------------------------------------------

def parse_label(text):
    """'W1_pipes/torsion_epoll/100 event 200' -> (benchmark, op, ops)."""
    parts = text.split()
    if len(parts) != 3 or not parts[2].lstrip("-").isdigit():
        raise ValueError(f"not a ledger label: {text!r}")
    return parts[0], parts[1], int(parts[2])


def parse_native(text):
    """TORSION_LEDGER's lines -> {(benchmark, op): totals}."""
    totals = {}
    for number, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 6:
            raise ValueError(f"ledger line {number}: expected 6 fields, got {line!r}")
        benchmark, op, ops = parse_label(" ".join(parts[:3]))
        t = totals.setdefault((benchmark, op), collections.Counter())
        t["ops"] += ops
        t["phases"] += 1
        if parts[3] == "-":
            t["allocations_uncounted"] += 1
        else:
            t["allocations"] += int(parts[3])
        t["csw_voluntary"] += int(parts[4])
        t["csw_involuntary"] += int(parts[5])
    return totals


def parse_callgrind(out_dir):
    """Callgrind dumps labelled by the ledger -> {(benchmark, op): totals}."""
    totals = {}
    for path in glob.glob(os.path.join(out_dir, "cg.out*")):
        label = instructions = None
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("desc: Trigger: Client Request: " + MARK + " "):
                    label = line.split(MARK + " ", 1)[1].strip()
                elif line.startswith(("totals:", "summary:")):
                    instructions = int(line.split()[1])
                    break
                elif line.startswith("fn=") or line.startswith("fl="):
                    break  # past the header
        if label is None or instructions is None:
            continue
        benchmark, op, ops = parse_label(label)
        t = totals.setdefault((benchmark, op), collections.Counter())
        t["ops"] += ops
        t["phases"] += 1
        t["instructions"] += instructions
    return totals


STRACE_LINE = re.compile(r"^(\d+)\s+(.*)$")
SYSCALL = re.compile(r"^([a-z_0-9]+)\(")
MARKER = re.compile(r'^write\(-1, "' + MARK + r' ([^"]*)"')


def parse_strace(path):
    """strace -f's trace -> {(benchmark, op): totals}: the system calls each
    phase's thread made between its begin and end markers."""
    totals = {}
    open_phase = {}  # tid -> Counter of names
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = STRACE_LINE.match(line)
            if not m:
                continue
            tid, rest = m.group(1), m.group(2)
            if rest.startswith(("<...", "+++", "---")):
                continue  # a resumed call (counted where it started), exit, signal
            marker = MARKER.match(rest)
            if marker:
                text = marker.group(1)
                if text == "begin":
                    open_phase[tid] = collections.Counter()
                elif tid in open_phase:
                    benchmark, op, ops = parse_label(text)
                    t = totals.setdefault((benchmark, op), collections.Counter())
                    t["ops"] += ops
                    t["phases"] += 1
                    for name, count in open_phase.pop(tid).items():
                        t["syscall:" + name] += count
                continue
            if tid in open_phase:
                call = SYSCALL.match(rest)
                if call:
                    open_phase[tid][call.group(1)] += 1
    return totals


def gbench_errors(json_path, name_filter=None):
    """{benchmark: message} for benchmarks Google Benchmark reports as
    failed or skipped, and the set of benchmarks it ran."""
    errors, ran = {}, set()
    try:
        with open(json_path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return errors, ran
    # Cells the binary left out for a limit (benchmarks/drivers.h pipeSizes)
    # count as skipped, with their reason, as they do in the report: those
    # the run asked for (`name_filter`, its --benchmark_filter).
    left_out = [e for e in bench_data.left_out_entries(data.get("context", {}))
                if name_filter is None or re.search(name_filter, e["name"])]
    for entry in data.get("benchmarks", []) + left_out:
        parts = (entry.get("run_name") or entry.get("name", "")).split("/")
        if len(parts) < 3:
            continue
        key = "/".join(parts[:3])
        ran.add(key)
        if entry.get("error_occurred"):
            errors[key] = entry.get("error_message", "error")
    return errors, ran


# --- running ----------------------------------------------------------------------------

class Failure(Exception):
    pass


def run(cmd, env, timeout, cwd=None):
    try:
        proc = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired as e:
        raise Failure(f"{os.path.basename(cmd[0])} timed out after {timeout} s") from e
    except OSError as e:
        raise Failure(f"cannot run {cmd[0]}: {e}") from e
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise Failure(f"{' '.join(os.path.basename(c) for c in cmd[:1])} exited with "
                      f"status {proc.returncode}: " + " / ".join(tail))
    return proc


def wrapper(tool, scratch):
    """The command prefix that runs a binary under `tool` (full paths: the
    load generator starts its server with execv)."""
    if tool == "callgrind":
        return [shutil.which("valgrind") or "valgrind", "--tool=callgrind", "--collect-atstart=no",
                "--separate-threads=yes", "--dump-instr=no",
                "--callgrind-out-file=" + os.path.join(scratch, "cg.out")]
    if tool == "strace":
        return [shutil.which("strace") or "strace", "-f", "-qq", "-s", "200", "-o", os.path.join(scratch, "trace")]
    return []


def collect(tool, scratch):
    if tool == "callgrind":
        return parse_callgrind(scratch)
    if tool == "strace":
        return parse_strace(os.path.join(scratch, "trace"))
    with open(os.path.join(scratch, "native"), encoding="utf-8") as f:
        return parse_native(f.read())


def run_bench_unit(unit, tool, bin_dir, timeout):
    """Returns ({(benchmark, op): totals}, {benchmark: error})."""
    binary = os.path.join(bin_dir, unit.binary)
    if not os.access(binary, os.X_OK):
        raise Failure(f"{unit.binary} is not built in {bin_dir}")
    with tempfile.TemporaryDirectory(prefix="ledger-") as scratch:
        env = dict(os.environ, TORSION_LEDGER=os.path.join(scratch, "native"),
                   TORSION_BENCH_ITERATIONS=str(unit.iterations))
        out = os.path.join(scratch, "gbench.json")
        run(wrapper(tool, scratch) + [binary, "--benchmark_filter=" + unit.filter,
                                      f"--benchmark_min_time={unit.min_time}",
                                      "--benchmark_out=" + out,
                                      "--benchmark_out_format=json"], env, timeout)
        totals = collect(tool, scratch)
        errors, ran = gbench_errors(out, unit.filter)
    for benchmark in ran - set(errors) - {b for b, _ in totals}:
        errors[benchmark] = (f"ran without ledger phases under {tool} "
                             "(a binary without benchmarks/ledger.h?)")
    if not ran:
        errors[unit.name] = f"no benchmark matched {unit.filter} in {unit.binary}"
    return totals, errors


def run_echo_unit(unit, tool, bin_dir, timeout):
    """Two load-generator runs, short and long; returns their difference."""
    loadgen = os.path.join(bin_dir, "echo_loadgen")
    server = os.path.join(bin_dir, unit.binary)
    for path in (loadgen, server):
        if not os.access(path, os.X_OK):
            raise Failure(f"{os.path.basename(path)} is not built in {bin_dir}")
    runs = []
    for trips in (unit.short, unit.long):
        with tempfile.TemporaryDirectory(prefix="ledger-") as scratch:
            env = dict(os.environ, TORSION_LEDGER=os.path.join(scratch, "native"))
            out = os.path.join(scratch, "loadgen.json")
            proc = run([loadgen, "--impl", unit.impl, "--pingpong", f"{unit.connections}={trips}",
                 "--warmup", str(unit.warmup), "--repetitions", "1", "--max_seconds", "120",
                 "--out", out, "--"] + wrapper(tool, scratch) +
                [server, "--impl", unit.impl, "--max_seconds", "300"], env, timeout)
            errors, _ = gbench_errors(out)
            if errors:
                return {}, {unit.benchmark: next(iter(errors.values()))}
            proc_err = proc.stderr or ""
            serve = [t for (b, _), t in collect(tool, scratch).items()
                     if b.startswith("W3_serve/")]
            if len(serve) != 1:
                why = " / ".join(proc_err.strip().splitlines()[-2:]) if proc_err.strip() \
                    else "a server without benchmarks/ledger.h?"
                raise Failure(f"{unit.binary} --impl {unit.impl} under {tool}: "
                              f"{len(serve)} serve() phases, expected 1 ({why})")
            runs.append(serve[0])
    short, long = runs
    diff = collections.Counter()
    for key in set(short) | set(long):
        if key in ("ops", "phases"):
            continue
        diff[key] = long[key] - short[key]
    diff["ops"] = unit.long - unit.short
    diff["phases"] = 1
    if short["allocations_uncounted"] or long["allocations_uncounted"]:
        diff["allocations_uncounted"] = 1
    return {(unit.benchmark, "roundtrip"): diff}, {}


TOOLS = ("native", "callgrind", "strace")


def run_with_retry(unit, tool, bin_dir, timeout):
    """One unit under one tool; a run that failed is run once more. The
    counts do not depend on the attempt, and on a machine loaded enough a
    process under valgrind can miss a deadline of the harness (the load
    generator kills a server that takes 10 s to stop); a real failure fails
    twice."""
    run_unit = run_echo_unit if isinstance(unit, EchoUnit) else run_bench_unit
    try:
        return run_unit(unit, tool, bin_dir, timeout)
    except Failure as first:
        print(f"   ledger: {unit.name} under {tool} failed ({first}); running it again",
              file=sys.stderr, flush=True)
        try:
            return run_unit(unit, tool, bin_dir, timeout)
        except Failure as second:
            raise Failure(f"{second} (twice)") from second


def measure(units, bin_dir, jobs=2, timeout=600, progress=None):
    """Runs every unit under every tool. Returns (rows, errors) as written
    to the ledger file."""
    missing = [t for t, exe in (("callgrind", "valgrind"), ("strace", "strace"))
               if shutil.which(exe) is None]
    if missing:
        raise Failure("missing " + " and ".join(missing) +
                      ": apt-get install valgrind strace (tools/bench installs them)")
    merged = {}  # (benchmark, op) -> {tool: Counter}
    errors = {}
    work = [(u, t) for u in units for t in TOOLS]
    done = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(run_with_retry, u, t, bin_dir, timeout): (u, t)
                   for u, t in work}
        for future in concurrent.futures.as_completed(futures):
            unit, tool = futures[future]
            done += 1
            try:
                totals, unit_errors = future.result()
            except Failure as e:
                totals, unit_errors = {}, {unit.name: f"{tool}: {e}"}
            for key, t in totals.items():
                merged.setdefault(key, {})[tool] = t
            for benchmark, message in unit_errors.items():
                errors.setdefault(benchmark, message)
            if progress:
                progress(done, len(work), unit, tool)
    rows = {}
    for (benchmark, op), by_tool in sorted(merged.items()):
        if benchmark in errors:
            continue
        absent = [t for t in TOOLS if t not in by_tool]
        if absent:
            errors[benchmark] = f"no {op} phases under {', '.join(absent)}"
            continue
        rows[f"{benchmark} {op}"] = row(benchmark, op, by_tool)
    return rows, errors


def row(benchmark, op, by_tool):
    """Per-operation numbers of one (benchmark, op)."""
    native, cg, st = by_tool["native"], by_tool["callgrind"], by_tool["strace"]

    def per(total, ops):
        return total / ops if ops > 0 else 0.0

    syscalls = {k[len("syscall:"):]: per(v, st["ops"]) for k, v in sorted(st.items())
                if k.startswith("syscall:") and v}
    return {
        "benchmark": benchmark, "op": op,
        "ops": {"native": native["ops"], "callgrind": cg["ops"], "strace": st["ops"]},
        "instructions": per(cg["instructions"], cg["ops"]),
        "syscalls": syscalls,
        "syscalls_total": per(sum(v for k, v in st.items() if k.startswith("syscall:")),
                              st["ops"]),
        "allocations": (None if native["allocations_uncounted"]
                        else per(native["allocations"], native["ops"])),
        "csw_voluntary": per(native["csw_voluntary"], native["ops"]),
        "csw_involuntary": per(native["csw_involuntary"], native["ops"]),
    }


def write(path, rows, errors, settings):
    data = {"ledger": LEDGER_VERSION, "settings": settings, "rows": rows, "errors": errors}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)


def load(path):
    """A ledger file; ValueError naming the file when it is not one."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not JSON ({e})") from e
    if not isinstance(data, dict) or data.get("ledger") != LEDGER_VERSION:
        raise ValueError(f"{path}: not a cost ledger (version {LEDGER_VERSION}) file")
    return data


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", required=True, help="directory of the -c opt binaries")
    parser.add_argument("--preset", default="ci", choices=["ci", "tiny", "report"])
    parser.add_argument("--impls", help="only these implementations (comma-separated)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=600, help="seconds per run")
    parser.add_argument("--out", required=True)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    impls = set(args.impls.split(",")) if args.impls else None
    start = time.time()

    def progress(done, total, unit, tool):
        if not args.quiet:
            print(f"   ledger [{done}/{total}] {unit.name} ({tool}), "
                  f"{time.time() - start:.0f} s", file=sys.stderr, flush=True)

    try:
        rows, errors = measure(plan(args.preset, impls), args.bin, args.jobs, args.timeout,
                               progress)
    except (Failure, ValueError) as e:
        print(f"ledger: {e}", file=sys.stderr)
        return 2
    write(args.out, rows, errors, {"preset": args.preset, "impls": args.impls})
    print(f"ledger: {len(rows)} rows, {len(errors)} failed or skipped, "
          f"{time.time() - start:.0f} s -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
