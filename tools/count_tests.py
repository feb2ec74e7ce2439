#!/usr/bin/env python3
"""Counts individual test cases from a Bazel build-event file.

Usage: count_tests.py BEP_JSON [--label NAME] [--bazel-exit N]
       count_tests.py --run NAME BEP_JSON EXIT [--run NAME BEP_JSON EXIT ...]

The second form adds up several Bazel invocations (tools/test: the host run
and the Windows run under Wine) into one closing line, with each run's
breakdown labelled by its NAME.

Bazel's own summary counts test *targets*; CI wants test *cases*. Every test
result event in the build-event protocol names the test.xml its run wrote
(cached results included), and GoogleTest writes one <testcase> per case.
A target that failed without saying why in its XML (a crash, a timeout) counts
as one more failure, so nothing that failed is ever reported green.

Prints the per-backend breakdown of value-parameterised suites, then the line
`N passed, N failed[, N skipped]`, and exits 1 if anything failed.
"""
import argparse
import collections
import json
import sys
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET


def test_results(bep_path):
    """Yields (label, status, [xml paths]) for every test result event. A run
    that wrote no build-event file (it failed before Bazel started) yields
    nothing; count_run counts its exit status as the failure."""
    try:
        f = open(bep_path, encoding="utf-8")
    except FileNotFoundError:
        return
    with f:
        for line in f:
            event = json.loads(line)
            if "testResult" not in event.get("id", {}):
                continue
            label = event["id"]["testResult"]["label"]
            result = event.get("testResult", {})
            xmls = [
                urllib.parse.urlparse(o["uri"]).path
                for o in result.get("testActionOutput", [])
                if o.get("name") == "test.xml" and o.get("uri", "").startswith("file://")
            ]
            yield label, result.get("status", "NO_STATUS"), xmls


def count_cases(xml_path):
    """Returns Counter of passed/failed/skipped and per-parameter breakdown."""
    totals = collections.Counter()
    per_param = collections.defaultdict(collections.Counter)
    try:
        root = ET.parse(xml_path).getroot()
    except (OSError, ET.ParseError):
        return totals, per_param
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            outcome = "failed"
        elif (case.get("result") == "skipped" or case.get("status") == "notrun"
              or case.find("skipped") is not None):
            outcome = "skipped"
        else:
            outcome = "passed"
        totals[outcome] += 1
        name = case.get("name", "")
        if case.get("value_param") is not None and "/" in name:
            per_param[name.rsplit("/", 1)[1]][outcome] += 1
    return totals, per_param


def count_run(bep, bazel_exit):
    """Counts one Bazel invocation: (totals, per-parameter, broken targets)."""
    totals = collections.Counter()
    per_param = collections.defaultdict(collections.Counter)
    broken_targets = []
    for label, status, xmls in test_results(bep):
        target_totals = collections.Counter()
        for path in xmls:
            t, p = count_cases(path)
            target_totals.update(t)
            for k, v in p.items():
                per_param[k].update(v)
        if status not in ("PASSED", "FLAKY") and target_totals["failed"] == 0:
            target_totals["failed"] += 1
            broken_targets.append(f"{label} ({status})")
        totals.update(target_totals)

    # Bazel exit 1: the build broke, so some tests never ran. Count it.
    if bazel_exit not in (0, 3) and totals["failed"] == 0:
        totals["failed"] += 1
        broken_targets.append(f"bazel exited {bazel_exit} before all tests ran")
    return totals, per_param, broken_targets


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bep", nargs="?")
    parser.add_argument("--label", default="")
    parser.add_argument("--bazel-exit", type=int, default=0)
    parser.add_argument("--run", nargs=3, action="append", default=[],
                        metavar=("NAME", "BEP_JSON", "EXIT"))
    args = parser.parse_args()
    runs = [(name, bep, int(code)) for name, bep, code in args.run]
    if args.bep:
        runs.insert(0, (args.label, args.bep, args.bazel_exit))
    if not runs:
        parser.error("give a BEP file or --run NAME BEP EXIT")

    totals = collections.Counter()
    for name, bep, bazel_exit in runs:
        run_totals, per_param, broken_targets = count_run(bep, bazel_exit)
        totals.update(run_totals)
        prefix = f"[{name}] " if name else ""
        for param in sorted(per_param):
            c = per_param[param]
            print(f"{prefix}per parameter {param}: {c['passed']} passed, "
                  f"{c['failed']} failed, {c['skipped']} skipped")
        for b in broken_targets:
            print(f"{prefix}target failed without a failing test case: {b}")
        if len(runs) > 1:
            print(f"{prefix}{run_totals['passed']} passed, {run_totals['failed']} failed, "
                  f"{run_totals['skipped']} skipped")

    line = f"{totals['passed']} passed, {totals['failed']} failed"
    if totals["skipped"]:
        line += f", {totals['skipped']} skipped"
    print(line)
    return 1 if totals["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
