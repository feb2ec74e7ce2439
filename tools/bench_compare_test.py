"""Self-test of tools/bench-compare's judgement, on synthetic samples and
ledgers (the gate with real builds and runs is tools/ledger_selftest.py).

Timed mode, on a synthetic run shaped like tools/bench's: 264 series
(torsion on four backends, the minimal loops and four peers; W1, W2, W3, W4),
9 repetitions a side, each series with its own noise (1% to 15%), one
repetition in twenty hit by preemption, and a machine that drifts during
the run, identically for base and head as interleaved runs see it:

  * ten A/A comparisons at default settings raise no alarm, and would
    without Holm's correction (the rule the A/A case depends on);
  * a planted 30% slowdown of torsion_epoll is caught, alone, also when
    the whole machine got 20% slower;
  * a whole-machine slowdown is reported as drift, and would be a
    regression without the control series;
  * too few repetitions cannot judge (exit 2), missing or failed
    benchmarks fail, skipped-on-both does not.

And one real interleaved A/A run, recorded on a loaded 2-core machine
(testdata/timed_aa_recorded.json), raises no alarm either.

Ledger mode: each threshold, missing, failed and new benchmarks; the
parsers of strace's trace, callgrind's dumps and the counting lines.

Needs numpy and scipy (python3-numpy, python3-scipy): without them every
case is skipped with a message saying so. Writes JUnit XML to
$XML_OUTPUT_FILE so tools/test counts cases.
"""
import copy
import io
import json
import math
import os
import random
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_compare  # noqa: E402
import bench_data  # noqa: E402
import ledger  # noqa: E402
import ledger_gate  # noqa: E402

try:
    import numpy  # noqa: F401
    import scipy  # noqa: F401
    HAVE_SCIPY = True
except ImportError:
    HAVE_SCIPY = False
SKIP_REASON = ("numpy or scipy is missing: apt-get install python3-numpy python3-scipy "
               "to run bench-compare's self-test")
if HAVE_SCIPY:
    import timed_gate  # noqa: E402

IMPLS = ["torsion_epoll", "torsion_poll", "torsion_select", "torsion_io_uring",
         "min_epoll", "min_poll", "min_select", "libevent", "libev", "libuv", "asio"]
# (workload, sizes, metrics)
WORKLOADS = [
    ("W1_pipes", [100, 1000, 5000, 10000], ["ns_per_event"]),
    ("W2_timers", [100000, 1000000], ["ns_per_schedule", "ns_per_cancel", "ns_per_fire"]),
    ("W3_pingpong", [1, 100, 1000], ["ns_per_roundtrip", "latency_p50_ns", "latency_p99_ns",
                                      "server_cpu_ns_per_roundtrip"]),
    ("W4_chain", [10000], ["ns_per_call"]),
    ("W4_batch", [1000], ["ns_per_call"]),
]
REPETITIONS = 9


def series_list():
    rng = random.Random(99)
    out = []
    for workload, sizes, metrics in WORKLOADS:
        for impl in IMPLS:
            for n in sizes:
                for metric in metrics:
                    level = math.exp(rng.uniform(math.log(20), math.log(2e5)))
                    noise = 0.15 if metric == "latency_p99_ns" else rng.uniform(0.01, 0.10)
                    out.append((workload, impl, n, metric, level, noise))
    return out


SERIES = series_list()


def synthetic_pair(seed, head_factor=None, head_drift=1.0, repetitions=REPETITIONS):
    """(base, head) Google Benchmark JSON. Interleaved: repetition r of both
    sides shares the machine's state d_r (a random walk). head_factor(impl,
    workload) scales head's true cost; head_drift scales every head sample
    (a machine that changed between two non-interleaved runs)."""
    rng = random.Random(seed)
    drift, walk = [], 0.0
    for _ in range(repetitions):
        walk += rng.gauss(0, 0.03)
        drift.append(math.exp(walk))
    sides = {"base": [], "head": []}
    for workload, impl, n, metric, level, noise in SERIES:
        name = f"{workload}/{impl}/{n}/manual_time"
        for side in ("base", "head"):
            factor = head_factor(impl, workload) if side == "head" and head_factor else 1.0
            for r in range(repetitions):
                value = level * factor * drift[r] * rng.lognormvariate(0, noise)
                if rng.random() < 0.05:
                    value *= rng.uniform(1.2, 2.0)  # preempted
                if side == "head":
                    value *= head_drift
                sides[side].append({"name": name, "run_name": name, "run_type": "iteration",
                                    "repetitions": repetitions, "repetition_index": r,
                                    "iterations": 1, "real_time": 1.0, "time_unit": "ms",
                                    metric: value})
    return ({"benchmarks": sides["base"]}, {"benchmarks": sides["head"]})


class Files:
    def __init__(self):
        self.dir = tempfile.TemporaryDirectory()

    def write(self, name, data):
        path = os.path.join(self.dir.name, name)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f)
        return path


def compare(base_path, head_path, *flags):
    out, err = io.StringIO(), io.StringIO()
    stderr, sys.stderr = sys.stderr, err
    try:
        code = bench_compare.main([base_path, head_path, *flags], stdout=out)
    finally:
        sys.stderr = stderr
    return code, out.getvalue() + err.getvalue()


def verdicts(base, head, **settings):
    b, _ = bench_data.collect(base["benchmarks"])
    h, _ = bench_data.collect(head["benchmarks"])
    return timed_gate.judge(b, h, timed_gate.Settings(**settings))


class TimedGateTest(unittest.TestCase):
    def setUp(self):
        if not HAVE_SCIPY:
            self.skipTest(SKIP_REASON)
        self.files = Files()

    def tearDown(self):
        self.files.dir.cleanup()

    def test_tenAARunsRaiseNoAlarm(self):
        for seed in range(10):
            base, head = synthetic_pair(seed)
            code, text = compare(self.files.write("a.json", base),
                                 self.files.write("b.json", head))
            self.assertEqual(code, 0, f"A/A seed {seed} raised an alarm:\n{text}")
            self.assertIn("The gate holds", text)

    def test_withoutTheCorrectionTheSameAARunsWouldAlarm(self):
        alarms = 0
        for seed in range(10):
            base, head = synthetic_pair(seed)
            alarms += sum(s.verdict == "REGRESSION"
                          for s in verdicts(base, head, correction="none"))
        self.assertGreater(alarms, 0, "the A/A case does not depend on the correction")

    def test_plantedSlowdownIsCaughtAlone(self):
        base, head = synthetic_pair(
            42, head_factor=lambda impl, w: 1.3 if impl == "torsion_epoll" and w == "W1_pipes"
            else 1.0)
        code, text = compare(self.files.write("a.json", base), self.files.write("b.json", head))
        self.assertEqual(code, 1, text)
        flagged = [l for l in text.splitlines() if "**REGRESSION**" in l]
        self.assertTrue(flagged, text)
        # Only the planted series; at 9 repetitions and 264 series corrected
        # together, the quieter of its four sizes (the noisy ones may not).
        self.assertTrue(all("W1_pipes/torsion_epoll/" in l for l in flagged), text)

    def test_slowdownIsCaughtThroughMachineDrift(self):
        base, head = synthetic_pair(
            43, head_drift=1.2,
            head_factor=lambda impl, w: 1.3 if impl == "torsion_epoll" and w == "W4_chain"
            else 1.0)
        code, text = compare(self.files.write("a.json", base), self.files.write("b.json", head))
        self.assertEqual(code, 1, text)
        self.assertIn("| W4_chain/torsion_epoll/10000 | ns/call |", text)
        self.assertIn("Machine drift", text)

    def test_wholeMachineSlowdownIsDriftNotRegression(self):
        base, head = synthetic_pair(44, head_drift=1.25)
        code, text = compare(self.files.write("a.json", base), self.files.write("b.json", head))
        self.assertEqual(code, 0, text)
        self.assertIn("Machine drift", text)
        self.assertIn("| drift |", text)
        # The control is the rule: without it the same run is full of regressions.
        code, text = compare(self.files.write("a.json", base),
                             self.files.write("b.json", head), "--no-drift-control")
        self.assertEqual(code, 1, text)

    def test_tooFewRepetitionsCannotJudge(self):
        base, head = synthetic_pair(7, repetitions=3,
                                    head_factor=lambda impl, w: 1.3
                                    if impl == "torsion_epoll" else 1.0)
        code, text = compare(self.files.write("a.json", base), self.files.write("b.json", head))
        self.assertEqual(code, 2, text)
        self.assertIn("cannot judge", text)
        self.assertIn("repetitions per side", text)

    def test_missingOrFailedFailsSkippedOnBothDoesNot(self):
        base, head = synthetic_pair(5)
        gone = "W4_batch/asio/1000/manual_time"
        head["benchmarks"] = [e for e in head["benchmarks"] if e["name"] != gone]
        code, text = compare(self.files.write("a.json", base), self.files.write("b.json", head))
        self.assertEqual(code, 1, text)
        self.assertIn("W4_batch/asio/1000 | run |", text)
        self.assertIn("missing in the head", text)

        base, head = synthetic_pair(5)
        failed = {"name": "W1_pipes/torsion_poll/100/manual_time",
                  "run_name": "W1_pipes/torsion_poll/100/manual_time",
                  "error_occurred": True, "error_message": "W1 stalled"}
        head["benchmarks"] = [e for e in head["benchmarks"]
                              if not e["name"].startswith("W1_pipes/torsion_poll/100/")]
        head["benchmarks"].append(failed)
        code, text = compare(self.files.write("a.json", base), self.files.write("b.json", head))
        self.assertEqual(code, 1, text)
        self.assertIn("failed in head: W1 stalled", text)

        base, head = synthetic_pair(5)
        skip = {"name": "W1_pipes/torsion_select/5000/manual_time",
                "run_name": "W1_pipes/torsion_select/5000/manual_time",
                "error_occurred": True, "error_message": "fd above FD_SETSIZE"}
        for side in (base, head):
            side["benchmarks"] = [e for e in side["benchmarks"]
                                  if not e["name"].startswith("W1_pipes/torsion_select/5000/")]
            side["benchmarks"].append(dict(skip))
        code, text = compare(self.files.write("a.json", base), self.files.write("b.json", head))
        self.assertEqual(code, 0, text)
        self.assertIn("skipped on both", text)

    def test_recordedRealAARunRaisesNoAlarm(self):
        """One real interleaved A/A run (testdata/timed_aa_recorded.json: 155
        series, 9 repetitions a side, a machine at load 8 to 16)."""
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "testdata",
                            "timed_aa_recorded.json")
        with open(path, encoding="utf-8") as f:
            recorded = json.load(f)
        sides = []
        for side in ("base", "head"):
            entries = []
            for name, metrics in recorded[side].items():
                for metric, values in metrics.items():
                    for r, v in enumerate(values):
                        entries.append({"name": name, "run_name": name,
                                        "run_type": "iteration", "repetition_index": r,
                                        metric: v})
            for name, message in recorded[side + "_errors"].items():
                entries.append({"name": name, "run_name": name, "error_occurred": True,
                                "error_message": message})
            sides.append(self.files.write(f"{side}.json", {"benchmarks": entries}))
        code, text = compare(*sides)
        self.assertEqual(code, 0, text)
        self.assertIn("The gate holds", text)
        # Real noise needs the correction: without it, false regressions.
        code, text = compare(*sides, "--correction", "none")
        self.assertEqual(code, 1, text)

    def test_holmAndBenjaminiHochberg(self):
        p = [0.01, 0.04, 0.03, 0.005]
        holm = timed_gate.adjust(p, "holm")
        self.assertEqual([round(x, 6) for x in holm], [0.03, 0.06, 0.06, 0.02])
        bh = timed_gate.adjust(p, "bh")
        self.assertEqual([round(x, 6) for x in bh], [0.02, 0.04, 0.04, 0.02])

    def test_badInputIsAClearError(self):
        bad = self.files.write("bad.json", {"not": "benchmarks"})
        good = self.files.write("good.json", synthetic_pair(1)[0])
        code, text = compare(good, bad)
        self.assertEqual(code, 2)
        self.assertIn("no 'benchmarks' list", text)


def ledger_file(**changes):
    """A ledger with three rows; changes: {row key: {field: value}}."""
    rows = {
        "W1_pipes/torsion_epoll/100 event": {
            "benchmark": "W1_pipes/torsion_epoll/100", "op": "event", "ops": {},
            "instructions": 186.0, "syscalls": {"recvfrom": 1.0, "sendto": 1.0,
                                                "epoll_pwait2": 0.01},
            "syscalls_total": 2.01, "allocations": 0.0, "csw_voluntary": 0.0,
            "csw_involuntary": 0.0},
        "W3_pingpong/torsion_epoll/1 roundtrip": {
            "benchmark": "W3_pingpong/torsion_epoll/1", "op": "roundtrip", "ops": {},
            "instructions": 591.0, "syscalls": {"recvfrom": 1.0, "sendto": 1.0,
                                                "epoll_pwait2": 1.0},
            "syscalls_total": 3.0, "allocations": 0.0, "csw_voluntary": 0.6,
            "csw_involuntary": 0.4},
        "W4_batch/torsion_epoll/1000 call": {
            "benchmark": "W4_batch/torsion_epoll/1000", "op": "call", "ops": {},
            "instructions": 58.6, "syscalls": {"epoll_pwait2": 0.001},
            "syscalls_total": 0.001, "allocations": 0.011, "csw_voluntary": 0.0,
            "csw_involuntary": 0.0},
    }
    data = {"ledger": ledger.LEDGER_VERSION, "rows": rows, "errors": {}}
    data = copy.deepcopy(data)
    for key, fields in changes.items():
        data["rows"][key].update(fields)
    return data


class LedgerGateTest(unittest.TestCase):
    W1 = "W1_pipes/torsion_epoll/100 event"
    W3 = "W3_pingpong/torsion_epoll/1 roundtrip"

    def check(self, head, rule=None, base=None):
        findings = ledger_gate.compare(base or ledger_file(), head)
        failing = [f for f in findings if f.fails]
        if rule is None:
            self.assertEqual(failing, [], ledger_gate.table(findings, "base", "head"))
        else:
            self.assertTrue(failing, ledger_gate.table(findings, "base", "head"))
            self.assertTrue(all(f.rule == rule for f in failing),
                            ledger_gate.table(findings, "base", "head"))
        return findings

    def test_identicalHolds(self):
        self.check(ledger_file())

    def test_instructionsThreshold(self):
        self.check(ledger_file(**{self.W1: {"instructions": 186.0 * 1.019}}))
        self.check(ledger_file(**{self.W1: {"instructions": 186.0 * 1.021}}), "instructions")

    def test_syscallThresholdNamesTheCall(self):
        self.check(ledger_file(**{self.W3: {"syscalls_total": 3.04}}))
        findings = self.check(ledger_file(**{self.W3: {
            "syscalls_total": 4.0, "syscalls": {"recvfrom": 1.0, "sendto": 1.0,
                                                "epoll_pwait2": 1.0, "fcntl": 1.0}}}), "syscalls")
        self.assertTrue(any(f.metric == "syscalls/op: fcntl" and f.fails for f in findings))

    def test_allocationThreshold(self):
        self.check(ledger_file(**{self.W1: {"allocations": 0.009}}))
        self.check(ledger_file(**{self.W1: {"allocations": 1.0}}), "allocations")
        self.check(ledger_file(**{self.W1: {"allocations": None}}), "missing")

    def test_contextSwitchThreshold(self):
        self.check(ledger_file(**{self.W3: {"csw_voluntary": 0.2, "csw_involuntary": 0.85}}))
        self.check(ledger_file(**{self.W3: {"csw_voluntary": 1.6, "csw_involuntary": 0.4}}),
                   "context_switches")

    def test_improvementsDoNotFail(self):
        findings = self.check(ledger_file(**{self.W1: {"instructions": 150.0,
                                                       "syscalls_total": 1.0}}))
        self.assertTrue(any(f.verdict == "improvement" for f in findings))

    def test_missingFailedSkippedAndNew(self):
        head = ledger_file()
        del head["rows"][self.W1]
        self.check(head, "missing")
        head = ledger_file()
        del head["rows"][self.W1]
        head["errors"]["W1_pipes/torsion_epoll/100"] = "callgrind: exited with status 1"
        self.check(head, "failed")
        base, head = ledger_file(), ledger_file()
        for side in (base, head):
            del side["rows"][self.W1]
            side["errors"]["W1_pipes/torsion_epoll/100"] = "select: fd above FD_SETSIZE"
        self.check(head, base=base)
        base = ledger_file()
        del base["rows"][self.W1]
        findings = self.check(ledger_file(), base=base)
        self.assertTrue(any(f.verdict == "new" for f in findings))

    def test_cellLeftOutForALimitIsSkippedUnlessTheBaseMeasuredIt(self):
        left_out = bench_data.LEFT_OUT + "N=100 needs descriptor numbers up to about 264"
        # The base failed on it (an older binary ran into the limit): skipped.
        base, head = ledger_file(), ledger_file()
        for side in (base, head):
            del side["rows"][self.W1]
        base["errors"]["W1_pipes/torsion_epoll/100"] = "select: fd 1030 above FD_SETSIZE"
        head["errors"]["W1_pipes/torsion_epoll/100"] = left_out
        findings = self.check(head, base=base)
        self.assertTrue(any(f.verdict == "skipped" for f in findings))
        # The base measured it: leaving it out is a failure.
        head = ledger_file()
        del head["rows"][self.W1]
        head["errors"]["W1_pipes/torsion_epoll/100"] = left_out
        self.check(head, "failed")

    def test_ledgerFilesThroughTheCommandLine(self):
        files = Files()
        try:
            code, text = compare(files.write("a.json", ledger_file()),
                                 files.write("b.json", ledger_file(
                                     **{self.W1: {"instructions": 200.0}})))
            self.assertEqual(code, 1, text)
            self.assertIn("| W1_pipes/torsion_epoll/100 event | instructions/op | 186 | 200 "
                          "| +7.53% | **REGRESSION** |", text)
            code, text = compare(files.write("a.json", ledger_file()),
                                 files.write("b.json", synthetic_pair(1)[0]))
            self.assertEqual(code, 2, text)
        finally:
            files.dir.cleanup()


STRACE = """\
100 write(-1, "torsion-ledger begin", 20) = -1 EBADF (Bad file descriptor)
100 epoll_pwait2(5,  <unfinished ...>
101 poll([{fd=0, events=POLLIN}], 1, 1000 <unfinished ...>
100 <... epoll_pwait2 resumed>[{events=EPOLLIN, data={u32=7, u64=7}}], 512, NULL, NULL, 8) = 1
100 recvfrom(7, "x", 65536, 0, NULL, NULL) = 1
101 <... poll resumed>)               = 0 (Timeout)
100 sendto(7, "x", 1, 0, NULL, 0) = 1
100 --- SIGCHLD {si_signo=SIGCHLD} ---
100 write(-1, "torsion-ledger W3_serve/torsion_epoll/0 process 0", 50) = -1 EBADF
100 write(-1, "torsion-ledger begin", 20) = -1 EBADF (Bad file descriptor)
100 recvfrom(7, "x", 65536, 0, NULL, NULL) = 1
100 write(-1, "torsion-ledger W3_serve/torsion_epoll/0 process 0", 50) = -1 EBADF
100 +++ exited with 0 +++
"""

CALLGRIND = """\
# callgrind format
version: 1
creator: callgrind-3.19.0
pid: 4242
cmd:  torsion_bench
part: 3
thread: 1

desc: I1 cache:
desc: Trigger: Client Request: torsion-ledger W1_pipes/torsion_epoll/100 event 200

positions: line
events: Ir
summary: 37172
totals: 37172

fl=(1) ???
fn=(1) main
0 37172
"""


class LoaderTest(unittest.TestCase):
    """bench_data.load_entries: cells a binary left out for a limit
    (benchmarks/drivers.h pipeSizes) come back as skipped entries."""

    def load(self, document):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(document, f)
        try:
            return bench_data.load_entries(f.name)
        finally:
            os.unlink(f.name)

    def test_leftOutCellsAreSkippedWithTheirReason(self):
        entries = self.load({
            "context": {"skipped W1_pipes/torsion_select/1000": "needs 2064 descriptors",
                        "sized W1_pipes/libuv/10000": "run with N=9950",
                        "host_name": "x"},
            "benchmarks": [{"name": "W1_pipes/torsion_select/100", "run_type": "iteration",
                            "ns_per_event": 5.0}]})
        samples, errors = bench_data.collect(entries)
        key = bench_data.parse_name("W1_pipes/torsion_select/1000")
        self.assertEqual(errors, {key: "not run: needs 2064 descriptors"})
        self.assertIn((bench_data.parse_name("W1_pipes/torsion_select/100"), "ns_per_event"),
                      samples)

    def test_sizedCellsAreNamedWithTheirReason(self):
        sized = bench_data.sized_cells({"sized W1_pipes/libuv/10000": "run with N=9950",
                                        "skipped W1_pipes/libuv/5000": "no",
                                        "sized not-a-benchmark": "ignored"})
        self.assertEqual(sized, {bench_data.parse_name("W1_pipes/libuv/10000"):
                                 "run with N=9950"})

    def test_notBenchmarkJsonIsRefused(self):
        with self.assertRaisesRegex(ValueError, "no 'benchmarks' list"):
            self.load({"context": {}})


class ParserTest(unittest.TestCase):
    def test_strace(self):
        with tempfile.NamedTemporaryFile("w", suffix=".trace", delete=False) as f:
            f.write(STRACE)
        try:
            totals = ledger.parse_strace(f.name)
        finally:
            os.unlink(f.name)
        t = totals[("W3_serve/torsion_epoll/0", "process")]
        self.assertEqual(t["phases"], 2)
        self.assertEqual(t["syscall:epoll_pwait2"], 1)
        self.assertEqual(t["syscall:recvfrom"], 2)
        self.assertEqual(t["syscall:sendto"], 1)
        self.assertNotIn("syscall:poll", t)    # another thread's
        self.assertNotIn("syscall:write", t)   # the markers

    def test_callgrind(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "cg.out.1-01"), "w") as f:
                f.write(CALLGRIND)
            with open(os.path.join(d, "cg.out-01"), "w") as f:
                f.write(CALLGRIND.replace("Client Request: torsion-ledger W1_pipes/torsion_"
                                          "epoll/100 event 200", "Program termination"))
            totals = ledger.parse_callgrind(d)
        self.assertEqual(list(totals), [("W1_pipes/torsion_epoll/100", "event")])
        self.assertEqual(totals[("W1_pipes/torsion_epoll/100", "event")]["instructions"], 37172)

    def test_native(self):
        totals = ledger.parse_native("W4_batch/torsion_epoll/1000 call 1000 11 0 1\n"
                                     "W4_batch/torsion_epoll/1000 call 1000 11 2 0\n"
                                     "W3_serve/min_epoll/0 process 0 - 5 5\n")
        t = totals[("W4_batch/torsion_epoll/1000", "call")]
        self.assertEqual((t["ops"], t["allocations"], t["csw_voluntary"]), (2000, 22, 2))
        self.assertEqual(totals[("W3_serve/min_epoll/0", "process")]["allocations_uncounted"], 1)
        with self.assertRaises(ValueError):
            ledger.parse_native("W1 event\n")


class JUnitResult(unittest.TextTestResult):
    """Records outcomes so that they can be written as JUnit XML."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcomes = []

    def addSuccess(self, test):
        super().addSuccess(test)
        self.outcomes.append((test, "passed", ""))

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.outcomes.append((test, "failure", self._exc_info_to_string(err, test)))

    def addError(self, test, err):
        super().addError(test, err)
        self.outcomes.append((test, "error", self._exc_info_to_string(err, test)))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.outcomes.append((test, "skipped", reason))


def write_junit(path, outcomes):
    suite = ET.Element("testsuite", name="bench_compare_test", tests=str(len(outcomes)))
    for test, outcome, text in outcomes:
        case = ET.SubElement(suite, "testcase", classname=type(test).__name__,
                             name=test._testMethodName)
        if outcome != "passed":
            ET.SubElement(case, outcome, message=text.splitlines()[0] if text else "")
    root = ET.Element("testsuites")
    root.append(suite)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


if __name__ == "__main__":
    if not HAVE_SCIPY:
        print(f"SKIPPING: {SKIP_REASON}", file=sys.stderr)
    loader = unittest.defaultTestLoader
    suite = unittest.TestSuite([loader.loadTestsFromTestCase(c) for c in
                                (TimedGateTest, LedgerGateTest, LoaderTest, ParserTest)])
    runner = unittest.TextTestRunner(resultclass=JUnitResult, verbosity=2)
    result = runner.run(suite)
    if os.environ.get("XML_OUTPUT_FILE"):
        write_junit(os.environ["XML_OUTPUT_FILE"], result.outcomes)
    sys.exit(0 if result.wasSuccessful() else 1)
