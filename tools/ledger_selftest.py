#!/usr/bin/python3
"""Self-test of the cost ledger's gate, with real builds and real runs.

    ledger_selftest.py [--workdir DIR] [--junit FILE] [--bep FILE]

Copies the checkout's tracked files into a scratch directory, builds the
ledger's tiny workload there (-c opt: torsion_bench's W1 N=100 and W4 batch
on epoll, W3 ping-pong against echo_torsion on epoll) and runs it:

  aa_ten_runs           ten ledger runs of the unchanged build, each compared
                        with a first one: the gate must hold every time;
  plant_syscall_per_read  one more system call on the TCP read path
                        (net/stream_connection.cc, after recv): the gate must
                        fail with +1 system call per W3 round trip;
  plant_dispatch_loop   a loop in FdDispatcher::dispatch adding about 3% to
                        W1's instructions per event: the gate must fail on
                        instructions;
  plant_removed_benchmark  W4 batch's registration deleted from
                        benchmarks/drivers.h: the gate must fail on the
                        missing benchmark.

Each plant also runs the gate with the rule that caught it switched off and
checks that nothing else claims the catch: the rule is what the test
depends on, so removing it from tools/ledger_gate.py fails the test. For the
A/A case the output says how many of the ten comparisons would have raised
an alarm with every tolerance at zero.

Writes JUnit XML (--junit) and a one-event build-event file (--bep) so that
tools/count_tests.py counts the cases with Bazel's. Exit status 0 when every
case passed.
"""
import argparse
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ledger  # noqa: E402
import ledger_gate  # noqa: E402
import revision_build  # noqa: E402

REPO = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
TARGETS = ["torsion_bench", "echo_torsion", "echo_loadgen"]
PACKAGES = "valgrind strace"
AA_RUNS = 10


def say(text):
    print(f"ledger self-test: {text}", file=sys.stderr, flush=True)


# --- the scratch copy ---------------------------------------------------------------------

def sync(src, dst):
    """Makes dst hold exactly src's tracked files (working-tree contents),
    rewriting only those that differ; leaves dst's .bazel/ alone."""
    files = subprocess.run(["git", "-C", src, "ls-files", "-z"], capture_output=True,
                           check=True).stdout.decode().split("\0")
    files = [f for f in files if f and os.path.isfile(os.path.join(src, f))]
    os.makedirs(dst, exist_ok=True)
    wanted = set(files)
    for f in files:
        a, b = os.path.join(src, f), os.path.join(dst, f)
        with open(a, "rb") as fa:
            data = fa.read()
        if os.path.exists(b):
            with open(b, "rb") as fb:
                if fb.read() == data:
                    continue
        os.makedirs(os.path.dirname(b), exist_ok=True)
        with open(b, "wb") as fb:
            fb.write(data)
        shutil.copymode(a, b)
    for root, dirs, names in os.walk(dst):
        rel_root = os.path.relpath(root, dst)
        dirs[:] = [d for d in dirs if not (rel_root == "." and d.startswith((".bazel", "bazel-")))]
        for n in names:
            rel = os.path.normpath(os.path.join(rel_root, n))
            if rel not in wanted:
                os.remove(os.path.join(root, n))


# --- plants -------------------------------------------------------------------------------

class PlantError(Exception):
    pass


def insert_after(text, anchor, line, path):
    """Inserts `line` (with {indent}, the anchor line's indentation) after the
    first line matching the regex `anchor`."""
    m = re.search(anchor, text, re.M)
    if not m:
        raise PlantError(f"{path}: no line matches {anchor!r}: the code the plant "
                         "targets moved; update tools/ledger_selftest.py")
    start = text.rfind("\n", 0, m.start()) + 1
    indent = re.match(r"\s*", text[start:]).group(0)
    end = text.index("\n", m.end()) + 1
    return text[:end] + line.format(indent=indent) + "\n" + text[end:]


def plant_syscall(text, path):
    text = insert_after(text, r"^\s*const long n = ::recv\(fd_",
                        "{indent}(void)::fcntl(fd_, F_GETFL);  // planted: one more call a read",
                        path)
    return insert_after(text, r"^#include ", "#include <fcntl.h>", path)


def plant_loop(iterations):
    """A counted loop written in assembly (x86-64), so that the compiler can
    neither drop nor unroll it: 1 + 2 * iterations instructions a dispatch."""
    def plant(text, path):
        body = text[text.find("FdDispatcher::dispatch(int fd"):]
        if not body:
            raise PlantError(f"{path}: FdDispatcher::dispatch(int fd, ...) not found")
        offset = len(text) - len(body)
        return text[:offset] + insert_after(
            body, r"^\s*Slot\* slot = slotFor\(fd\);",
            "{indent}asm volatile(\"mov $" + str(iterations) + ", %%ecx\\n1: dec %%ecx\\n"
            "jnz 1b\" ::: \"ecx\", \"cc\");  // planted", path)
    return plant


def plant_removal(text, path):
    at = text.find('("W4_batch/"')
    if at < 0:
        raise PlantError(f"{path}: W4 batch's registration (\"W4_batch/\") not found")
    start = text.rfind(";\n", 0, at) + 2  # the end of the statement before
    depth, end = 0, None
    for i in range(start, len(text)):  # the statement's own ';', outside brackets
        if text[i] in "({[":
            depth += 1
        elif text[i] in ")}]":
            depth -= 1
        elif text[i] == ";" and depth == 0:
            end = i + 1
            break
    if end is None:
        raise PlantError(f"{path}: the end of W4 batch's registration not found")
    return text[:start] + text[end:]


@dataclasses.dataclass
class Case:
    name: str
    passed: bool = False
    message: str = ""
    seconds: float = 0.0


class SelfTest:
    def __init__(self, workdir):
        self.workdir = workdir
        self.scratch = os.path.join(workdir, "selftest")
        self.cases = []

    def build(self, label):
        built, bin_dir, status = revision_build.build(
            self.scratch, TARGETS, label, os.path.join(self.workdir, "selftest-build.log"),
            PACKAGES)
        broken = [t for t, b in built.items() if b is None]
        if broken:
            raise PlantError(f"{label}: {', '.join(broken)} did not build "
                             f"(see {self.workdir}/selftest-build.log)")
        return bin_dir

    def ledger(self, bin_dir):
        rows, errors = ledger.measure(ledger.plan("tiny"), bin_dir, jobs=2)
        return {"ledger": ledger.LEDGER_VERSION, "rows": rows, "errors": errors}

    def with_plant(self, label, path, plant):
        """Applies `plant` to one file of the scratch copy, builds and runs the
        ledger, and puts the file back."""
        full = os.path.join(self.scratch, path)
        with open(full, encoding="utf-8") as f:
            original = f.read()
        try:
            with open(full, "w", encoding="utf-8") as f:
                f.write(plant(original, path))
            return self.ledger(self.build(label))
        finally:
            with open(full, "w", encoding="utf-8") as f:
                f.write(original)

    def case(self, name, body):
        start = time.time()
        c = Case(name)
        try:
            body(c)
            c.passed = not c.message
        except (PlantError, ledger.Failure, revision_build.BuildError, AssertionError) as e:
            c.message = str(e)
        c.seconds = time.time() - start
        self.cases.append(c)
        say(f"{name}: {'ok' if c.passed else 'FAILED: ' + c.message} "
            f"({c.seconds:.0f} s)")

    def run(self):
        say(f"copying the checkout to {self.scratch}")
        sync(REPO, self.scratch)
        base = {}

        def baseline(c):
            base["bin"] = self.build("self-test build")
            base["ledger"] = self.ledger(base["bin"])
            check_clean(base["ledger"])
        self.case("baseline_runs", baseline)
        if "ledger" not in base:
            return
        b = base["ledger"]

        def aa(c):
            alarms, strict_alarms = [], 0
            zero = ledger_gate.Thresholds(0.0, 0.0, 0.0, 0.0)
            for i in range(AA_RUNS):
                head = self.ledger(base["bin"])
                findings = ledger_gate.compare(b, head)
                if ledger_gate.fails(findings):
                    alarms.append(ledger_gate.table(findings, "first run", f"run {i + 2}"))
                strict = ledger_gate.compare(b, head, zero)
                strict_alarms += ledger_gate.fails(strict)
            say(f"A/A: {AA_RUNS} comparisons, {len(alarms)} alarms; with every tolerance "
                f"at zero {strict_alarms} of them would have raised one")
            if alarms:
                c.message = f"{len(alarms)} of {AA_RUNS} A/A comparisons raised an alarm:\n" \
                    + "\n".join(alarms)
        self.case("aa_ten_runs", aa)

        def syscall(c):
            head = self.with_plant("plant: a system call per read", "net/stream_connection.cc",
                                   plant_syscall)
            expect_caught(b, head, "W3_pingpong/torsion_epoll/1 roundtrip", "syscalls/op",
                          "syscalls", lambda f: 0.9 <= float(f.delta) <= 1.1,
                          "+1 system call per round trip")
            names = [f for f in ledger_gate.compare(b, head)
                     if f.metric == "syscalls/op: fcntl" and f.fails]
            assert names, "the table does not name fcntl as the call that grew"
        self.case("plant_syscall_per_read", syscall)

        def loop(c):
            w1 = b["rows"]["W1_pipes/torsion_epoll/100 event"]["instructions"]
            iterations = max(1, round((0.03 * w1 - 1) / 2))  # about 3% more
            head = self.with_plant(f"plant: a {iterations}-iteration loop in dispatch",
                                   "core/fd_dispatch.cc", plant_loop(iterations))
            expect_caught(b, head, "W1_pipes/torsion_epoll/100 event", "instructions/op",
                          "instructions", lambda f: 2.0 < float(f.delta.rstrip("%")) < 6.0,
                          "between +2% and +6% instructions per event")
        self.case("plant_dispatch_loop", loop)

        def removal(c):
            head = self.with_plant("plant: W4 batch removed", "benchmarks/drivers.h",
                                   plant_removal)
            expect_caught(b, head, "W4_batch/torsion_epoll/1000 call", "run", "missing",
                          lambda f: f.verdict == "MISSING", "reported missing")
        self.case("plant_removed_benchmark", removal)


def check_clean(data):
    if data["errors"]:
        raise AssertionError("the tiny workload failed: " + json.dumps(data["errors"]))
    expected = {"W1_pipes/torsion_epoll/100 event", "W4_batch/torsion_epoll/1000 call",
                "W3_pingpong/torsion_epoll/1 roundtrip"}
    if set(data["rows"]) != expected:
        raise AssertionError(f"the tiny workload measured {sorted(data['rows'])}, "
                             f"expected {sorted(expected)}")


def expect_caught(base, head, workload, metric, rule, size_ok, size_text):
    """The gate fails on (workload, metric) by `rule` with a delta that
    size_ok accepts; with `rule` switched off, no failing finding is left
    that `rule` made, so the catch depends on the rule."""
    findings = ledger_gate.compare(base, head)
    table = ledger_gate.table(findings, "unplanted", "planted")
    print(table, file=sys.stderr)
    hits = [f for f in findings if f.workload == workload and f.metric == metric and f.fails]
    assert ledger_gate.fails(findings), "the gate held:\n" + table
    assert hits, f"no failing {metric} finding for {workload}:\n" + table
    assert all(size_ok(f) for f in hits), f"expected {size_text}, got:\n" + table
    ablated = ledger_gate.compare(base, head, disabled=(rule,))
    left = [f for f in ablated if f.fails and f.rule == rule]
    assert not left, f"with the {rule} rule off the gate still failed by it"
    still = [f for f in ablated if f.workload == workload and f.metric == metric and f.fails]
    assert not still, f"with the {rule} rule off, {workload} {metric} still failed"


def write_junit(path, cases):
    suite = ET.Element("testsuite", name="ledger_selftest", tests=str(len(cases)),
                       failures=str(sum(not c.passed for c in cases)))
    for c in cases:
        case = ET.SubElement(suite, "testcase", classname="LedgerGateSelfTest", name=c.name,
                             time=f"{c.seconds:.1f}")
        if not c.passed:
            failure = ET.SubElement(case, "failure",
                                    message=(c.message.splitlines() or ["failed"])[0])
            failure.text = c.message
    root = ET.Element("testsuites")
    root.append(suite)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def write_bep(path, junit, passed):
    event = {"id": {"testResult": {"label": "//tools:ledger_selftest", "run": 1,
                                   "shard": 1, "attempt": 1}},
             "testResult": {"status": "PASSED" if passed else "FAILED",
                            "testActionOutput": [{"name": "test.xml",
                                                  "uri": "file://" + os.path.abspath(junit)}]}}
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(event) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", help="default: bench-compare's work directory")
    parser.add_argument("--junit", help="write JUnit XML here")
    parser.add_argument("--bep", help="write a build-event line for tools/count_tests.py")
    args = parser.parse_args(argv)
    workdir = args.workdir or revision_build.default_workdir(REPO)
    start = time.time()
    with revision_build.Workdir(workdir):
        test = SelfTest(workdir)
        try:
            test.run()
        except (PlantError, revision_build.BuildError, ledger.Failure) as e:
            test.cases.append(Case("setup", False, str(e)))
            say(f"setup failed: {e}")
        finally:
            revision_build.shutdown(test.scratch)
    passed = bool(test.cases) and all(c.passed for c in test.cases)
    junit = args.junit or (args.bep + ".xml" if args.bep else None)
    if junit:
        write_junit(junit, test.cases)
    if args.bep:
        write_bep(args.bep, junit, passed)
    say(f"{sum(c.passed for c in test.cases)} of {len(test.cases)} cases passed in "
        f"{time.time() - start:.0f} s")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
