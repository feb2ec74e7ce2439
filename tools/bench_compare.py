#!/usr/bin/python3
"""bench-compare: the benchmark regression gate.

    bench-compare --base REV --head REV [--timed] [options]
    bench-compare BASE.json HEAD.json [options]

With --base and --head it checks out each revision in a git worktree of its
own, builds its benchmark binaries (-c opt) and compares them:

  * by default with the cost ledger (tools/ledger.py, tools/ledger_gate.py):
    instructions, system calls, allocations and context switches per
    operation, counted, so the verdict does not depend on the machine's load;
  * with --timed by time: the two builds run interleaved, base and head
    alternating (A B B A A B ...), --repetitions times (default 9), judged by
    tools/timed_gate.py (a rank test corrected for the number of series,
    a minimum effect, the minimal loops and peers as the control for drift).

Given two files it compares them: two ledger files, or two results of
Google Benchmark / tools/bench (results.json), judged as in --timed.

Exit status: 0 the gate holds, 1 it does not (a regression, a benchmark
missing in the head or failed on either side), 2 it could not judge (bad
input, too few repetitions, a revision that does not build). With
--if-base-unusable=skip, a base that predates the ledger or does not build
is reported and the exit status is 0: CI comparing a commit with its parent
uses it, so the first commit with the ledger, or the fix of a broken parent,
is not blocked. See docs/benchmarks.md.
"""
import argparse
import contextlib
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_data  # noqa: E402
import ledger  # noqa: E402
import ledger_gate  # noqa: E402
import revision_build  # noqa: E402
import timed_gate  # noqa: E402

REPO = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
PEER_PACKAGES = "libevent-dev libev-dev libuv1-dev libasio-dev"
# What the ledger and the statistics run with, installed by tools/bazelw
# (TORSION_EXTRA_PACKAGES) before it builds.
TOOL_PACKAGES = "valgrind strace python3-numpy python3-scipy"


def say(text):
    print(f"bench-compare: {text}", file=sys.stderr, flush=True)


# --- the timed side: units and interleaved runs -------------------------------------------

def timed_units(impls):
    """What --timed runs: W1 (N=100, 1000), W2 (N=100,000), W4, W5 and W3
    (1 and 100 connections) on torsion, with the minimal loops and the peers
    as controls."""
    units = ledger.bench_units(impls, [100, 1000], [100000])
    if "torsion_epoll" in impls:
        units.append(ledger.BenchUnit("deferred_bench", "^W5_", min_time=0.02))
    units += [ledger.EchoUnit(i) for i in impls
              if i in ("torsion_epoll", "torsion_poll", "min_epoll")
              or i in ledger.PEER_BINARIES]
    return units


def run_timed_once(unit, bin_dir, out_path, min_time):
    """One repetition of one unit: its Google Benchmark JSON lands in out_path."""
    if isinstance(unit, ledger.EchoUnit):
        cmd = [os.path.join(bin_dir, "echo_loadgen"), "--impl", unit.impl,
               "--pingpong", "1=2000,100=5000", "--repetitions", "1", "--max_seconds", "60",
               "--out", out_path, "--", os.path.join(bin_dir, unit.binary),
               "--impl", unit.impl, "--max_seconds", "300"]
    else:
        cmd = [os.path.join(bin_dir, unit.binary), "--benchmark_filter=" + unit.filter,
               "--benchmark_repetitions=1", f"--benchmark_min_time={min_time}",
               "--benchmark_out=" + out_path, "--benchmark_out_format=json"]
    ledger.run(cmd, dict(os.environ), timeout=900)


def run_interleaved(units, bins, repetitions, scratch, min_time=0.05):
    """bins: {"base": dir, "head": dir}. Returns {side: [entries]}: each
    repetition runs every unit on both sides back to back, the side that
    goes first alternating (A B, B A, ...) so that a machine slowing down
    or speeding up during the run weighs on both alike."""
    entries = {"base": [], "head": []}
    start = time.time()
    for rep in range(repetitions):
        order = ("base", "head") if rep % 2 == 0 else ("head", "base")
        for unit in units:
            for side in order:
                out = os.path.join(scratch, f"{side}-{rep}-{abs(hash(unit.name))}.json")
                try:
                    run_timed_once(unit, bins[side], out, min_time)
                    entries[side] += bench_data.load_entries(out)
                except (ledger.Failure, ValueError) as e:
                    name = unit.benchmark if isinstance(unit, ledger.EchoUnit) else unit.name
                    entries[side].append({"name": name + "/0", "run_name": name + "/0",
                                          "error_occurred": True,
                                          "error_message": str(e)})
        say(f"timed: repetition {rep + 1}/{repetitions} done, {time.time() - start:.0f} s")
    return entries


# --- reports ------------------------------------------------------------------------------

def timed_markdown(series, others, base_name, head_name, settings):
    out = [f"## Timed comparison: {head_name} against {base_name}", ""]
    counts = {}
    for s in series:
        counts[s.verdict] = counts.get(s.verdict, 0) + 1
    failing = [r for r in others if r[2]]
    holds = not failing and not counts.get("REGRESSION")
    out.append(f"The gate {'holds' if holds else 'FAILS'}: " + ", ".join(
        f"{n} {v}" for v, n in sorted(counts.items())) + f" series; {len(failing)} "
        "missing or failed.")
    out.append(f"One-sided Mann-Whitney U on log values, {settings.correction} correction "
               f"over the torsion series, alpha {settings.alpha}, minimum effect "
               f"{100 * settings.min_effect:g}% after the controls' drift"
               + ("" if settings.drift_control else " (drift control off)") + ".")
    out.append("")
    drifts = {}
    for s in series:
        if s.kind != "torsion":
            drifts.setdefault(s.key.workload, []).append(s.change)
    if drifts:
        import numpy as np
        moved = {w: float(np.median(v)) for w, v in drifts.items()}
        big = {w: m for w, m in moved.items() if abs(m) > settings.min_effect}
        out.append("Controls (minimal loops, peers), median change per workload: " + ", ".join(
            f"{w} {100 * m:+.1f}%" for w, m in sorted(moved.items())) + ".")
        if big:
            out.append("**Machine drift**: the controls of " + ", ".join(sorted(big)) +
                       " moved by more than the minimum effect; torsion's shifts there are "
                       "judged net of it.")
        out.append("")
    shown = [s for s in series if s.verdict in ("REGRESSION", "drift", "improvement")]
    if shown or others:
        out.append("| benchmark | metric | base median | head median | change | net of drift "
                   "| p (corrected) | n | verdict |")
        out.append("|---|---|---:|---:|---:|---:|---:|---|---|")
        import numpy as np
        order = {"REGRESSION": 0, "drift": 1, "improvement": 2}
        for s in sorted(shown, key=lambda s: (order[s.verdict], str(s.key))):
            v = "**REGRESSION**" if s.verdict == "REGRESSION" else s.verdict
            out.append(
                f"| {s.key} | {bench_data.metric_label(s.metric)} "
                f"| {ledger_gate.number(float(np.median(s.base)))} "
                f"| {ledger_gate.number(float(np.median(s.head)))} | {100 * s.change:+.1f}% "
                f"| {100 * s.excess:+.1f}% | {s.p_adjusted:.2g} "
                f"| {len(s.base)}/{len(s.head)} | {v} |")
        for key, text, fails in others:
            out.append(f"| {key} | run | | | | | | | {'**' + text + '**' if fails else text} |")
    return "\n".join(out) + "\n"


def compare_timed_samples(base_entries, head_entries, settings, base_name, head_name):
    """Returns (markdown, exit status)."""
    try:
        import numpy  # noqa: F401
        import scipy  # noqa: F401
    except ImportError:
        return ("bench-compare: numpy and scipy are missing: apt-get install python3-numpy "
                "python3-scipy\n", 2)
    base, base_errors = bench_data.collect(base_entries)
    head, head_errors = bench_data.collect(head_entries)
    try:
        series = timed_gate.judge(base, head, settings)
    except timed_gate.CannotJudge as e:
        return f"bench-compare cannot judge: {e}\n", 2
    others = timed_gate.missing_and_failed(base, head, base_errors, head_errors)
    text = timed_markdown(series, others, base_name, head_name, settings)
    bad = any(s.verdict == "REGRESSION" for s in series) or any(f for _, _, f in others)
    return text, 1 if bad else 0


def compare_ledgers(base, head, args, base_name, head_name):
    thresholds = ledger_gate.Thresholds(args.instructions_pct, args.syscalls,
                                        args.allocations, args.context_switches)
    findings = ledger_gate.compare(base, head, thresholds)
    text = ledger_gate.table(findings, base_name, head_name, thresholds, args.all)
    return text, 1 if ledger_gate.fails(findings) else 0


# --- modes ------------------------------------------------------------------------------

def compare_files(args):
    loaded = []
    for path in (args.files[0], args.files[1]):
        try:
            loaded.append(ledger.load(path))
        except ValueError:
            try:
                loaded.append(bench_data.load_entries(path))
            except (OSError, ValueError) as e:
                say(str(e))
                return None, 2
        except OSError as e:
            say(str(e))
            return None, 2
    kinds = {isinstance(x, dict) for x in loaded}
    if len(kinds) != 1:
        say("one file is a cost ledger and the other benchmark results: compare like "
            "with like")
        return None, 2
    if isinstance(loaded[0], dict):
        return compare_ledgers(loaded[0], loaded[1], args, args.files[0], args.files[1])
    return compare_timed_samples(loaded[0], loaded[1], timed_settings(args), args.files[0],
                                 args.files[1])


def timed_settings(args):
    return timed_gate.Settings(args.alpha, args.min_effect / 100.0, args.correction,
                               not args.no_drift_control)


def needed_targets(units):
    targets = []
    for u in units:
        names = [u.binary] + (["echo_loadgen"] if isinstance(u, ledger.EchoUnit) else [])
        for t in names:
            if t not in targets:
                targets.append(t)
    return targets


def compare_revisions(args):
    repo = REPO
    try:
        shas = {side: revision_build.resolve(repo, rev)
                for side, rev in (("base", args.base), ("head", args.head))}
    except revision_build.BuildError as e:
        say(str(e))
        return None, 2
    names = {"base": f"{args.base} ({shas['base'][:12]})",
             "head": f"{args.head} ({shas['head'][:12]})"}
    unusable = 0 if args.if_base_unusable == "skip" else 2
    if not args.timed:
        for side in ("head", "base"):
            if not revision_build.has_path(repo, shas[side], "benchmarks/ledger.h"):
                say(f"the {side}, {names[side]}, predates the cost ledger "
                    "(no benchmarks/ledger.h): there is nothing to compare it with"
                    + ("; the gate is skipped, not failed" if side == "base" and unusable == 0
                       else ""))
                return None, unusable if side == "base" else 2
    impls = set(args.impls.split(",")) if args.impls else None
    if args.timed:
        chosen = sorted(impls or set(ledger.TORSION + ledger.MINIMAL +
                                     list(ledger.PEER_BINARIES)))
        units = timed_units(chosen)
    else:
        units = ledger.plan(args.preset, impls)
    workdir = args.workdir or revision_build.default_workdir(repo)
    packages = TOOL_PACKAGES + " " + PEER_PACKAGES if any(
        u.binary in set(ledger.PEER_BINARIES.values()) | {"echo_libevent", "echo_libev",
                                                          "echo_libuv", "echo_asio"}
        for u in units) else TOOL_PACKAGES
    with revision_build.Workdir(workdir):
        bins, side_units = {}, {}
        for side in ("base", "head"):
            path = os.path.join(workdir, side)
            say(f"{side}: {names[side]} in {path}")
            try:
                revision_build.checkout(repo, shas[side], path)
            except revision_build.BuildError as e:
                say(str(e))
                return None, 2
            # A binary the revision does not define is not built there: its
            # benchmarks are new in the head, or gone from it.
            mine = [u for u in units if all(revision_build.has_target(
                repo, shas[side], "benchmarks", t) for t in needed_targets([u]))]
            built, bin_dir, status = revision_build.build(
                path, needed_targets(mine), side, os.path.join(workdir, f"{side}-build.log"),
                packages)
            broken = [t for t, b in built.items() if b is None]
            if broken:
                say(f"the {side}, {names[side]}, does not build {', '.join(broken)} "
                    f"(see {workdir}/{side}-build.log)")
                if side == "base" and unusable == 0:
                    say("the gate is skipped, not failed: a base that does not build "
                        "cannot be compared with")
                    return None, 0
                return None, 2
            bins[side], side_units[side] = bin_dir, mine
        try:
            if args.timed:
                common = [u for u in side_units["head"] if u in side_units["base"]]
                with tempfile.TemporaryDirectory(prefix="bench-compare-") as scratch:
                    entries = run_interleaved(common, bins, args.repetitions, scratch)
                keep(args, "base-results.json", {"benchmarks": entries["base"]})
                keep(args, "head-results.json", {"benchmarks": entries["head"]})
                return compare_timed_samples(entries["base"], entries["head"],
                                             timed_settings(args), names["base"],
                                             names["head"])
            ledgers = {}
            for side in ("base", "head"):
                say(f"{side}: cost ledger ({args.preset})")
                start = time.time()
                rows, errors = ledger.measure(side_units[side], bins[side], args.jobs)
                say(f"{side}: {len(rows)} rows, {len(errors)} failed or skipped, "
                    f"{time.time() - start:.0f} s")
                ledgers[side] = {"ledger": ledger.LEDGER_VERSION, "rows": rows,
                                 "errors": errors,
                                 "settings": {"preset": args.preset, "revision": shas[side]}}
                keep(args, f"{side}-ledger.json", ledgers[side])
            return compare_ledgers(ledgers["base"], ledgers["head"], args, names["base"],
                                   names["head"])
        except ledger.Failure as e:
            say(str(e))
            return None, 2
        finally:
            if not args.keep_servers:
                for side in ("base", "head"):
                    revision_build.shutdown(os.path.join(workdir, side))


def keep(args, name, data):
    if not args.keep:
        return
    import json
    os.makedirs(args.keep, exist_ok=True)
    with open(os.path.join(args.keep, name), "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)


def parser():
    p = argparse.ArgumentParser(
        prog="bench-compare", description=__doc__.split("\n\n")[0],
        epilog="See docs/benchmarks.md.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="*", metavar="FILE", help="BASE and HEAD result files")
    p.add_argument("--base", metavar="REV")
    p.add_argument("--head", metavar="REV")
    p.add_argument("--timed", action="store_true", help="compare times, not the ledger")
    p.add_argument("--preset", default="ci", choices=["ci", "tiny", "report"],
                   help="the ledger's workloads (default ci)")
    p.add_argument("--impls", help="only these implementations, e.g. torsion_epoll,min_epoll")
    p.add_argument("--jobs", type=int, default=2, help="ledger runs at once")
    p.add_argument("--workdir", help="where the two worktrees live "
                   "(default ~/.cache/torsion-bench-compare/...)")
    p.add_argument("--keep", metavar="DIR", help="save both sides' ledgers or results here")
    p.add_argument("--keep-servers", action="store_true",
                   help="leave the worktrees' Bazel servers running")
    p.add_argument("--if-base-unusable", choices=["fail", "skip"], default="fail",
                   help="a base that predates the ledger or does not build: exit 2 "
                   "(fail, default) or report it and exit 0 (skip)")
    p.add_argument("--markdown-out", help="also write the report to this file")
    p.add_argument("--all", action="store_true", help="list unchanged ledger rows too")
    g = p.add_argument_group("ledger thresholds")
    g.add_argument("--instructions-pct", type=float, default=2.0)
    g.add_argument("--syscalls", type=float, default=0.05, help="per operation")
    g.add_argument("--allocations", type=float, default=0.01, help="per operation")
    g.add_argument("--context-switches", type=float, default=0.5, help="per operation")
    g = p.add_argument_group("timed statistics")
    g.add_argument("--repetitions", type=int, default=timed_gate.DEFAULT_REPETITIONS)
    g.add_argument("--alpha", type=float, default=timed_gate.DEFAULT_ALPHA)
    g.add_argument("--min-effect", type=float, default=100 * timed_gate.DEFAULT_MIN_EFFECT,
                   help="percent")
    g.add_argument("--correction", choices=["holm", "bh", "none"], default="holm")
    g.add_argument("--no-drift-control", action="store_true")
    return p


def main(argv=None, stdout=sys.stdout):
    args = parser().parse_args(argv)
    revs = args.base is not None or args.head is not None
    if revs and (args.base is None or args.head is None or args.files):
        say("give --base REV and --head REV, or two files")
        return 2
    if not revs and len(args.files) != 2:
        say("give two files (BASE HEAD) or --base REV --head REV")
        return 2
    if args.repetitions < 1:
        say("--repetitions must be positive")
        return 2
    text, status = compare_revisions(args) if revs else compare_files(args)
    if text:
        stdout.write(text)
        if args.markdown_out:
            with open(args.markdown_out, "w", encoding="utf-8") as f:
                f.write(text)
    return status


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
    sys.exit(130)
