"""Self-test of tools/bench-compare on synthetic Google Benchmark JSON.

Ten reruns drawn from the baseline's distribution must raise no alarm; a
planted 10% slowdown in one benchmark must be caught, and only that one.
Needs scipy (python3-scipy): without it every case is skipped with a message
saying so. Writes JUnit XML to $XML_OUTPUT_FILE so tools/test counts cases.
"""
import io
import json
import os
import random
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_compare  # noqa: E402

try:
    import scipy  # noqa: F401
    HAVE_SCIPY = True
except ImportError:
    HAVE_SCIPY = False
SKIP_REASON = "scipy is missing: apt-get install python3-scipy to run bench-compare's self-test"

BENCHMARKS = {
    "W1_pipes/torsion_epoll/1000/manual_time": {"ns_per_event": 4000.0},
    "W1_pipes/libuv/1000/manual_time": {"ns_per_event": 3800.0},
    "W2_timers/torsion_epoll/1000000/iterations:1/manual_time": {
        "ns_per_schedule": 90.0, "ns_per_cancel": 40.0, "ns_per_fire": 700.0},
    "W4_chain/torsion_epoll/10000/manual_time": {"ns_per_call": 250.0},
    "W4_batch/torsion_epoll/1000/manual_time": {"ns_per_call": 20.0},
}
REPETITIONS = 10
NOISE = 0.02  # relative standard deviation of one repetition


def synthetic(seed, slowdown=None):
    """Google Benchmark JSON with REPETITIONS repetitions per benchmark;
    slowdown = (name prefix, factor) scales one benchmark's metrics."""
    rng = random.Random(seed)
    entries = []
    for name, metrics in BENCHMARKS.items():
        factor = slowdown[1] if slowdown and name.startswith(slowdown[0]) else 1.0
        for rep in range(REPETITIONS):
            entry = {"name": name, "run_name": name, "run_type": "iteration",
                     "repetitions": REPETITIONS, "repetition_index": rep,
                     "iterations": 1, "real_time": 1.0, "time_unit": "ms"}
            for metric, mean in metrics.items():
                entry[metric] = mean * factor * rng.lognormvariate(0.0, NOISE)
            entries.append(entry)
        # Aggregates, as --benchmark_repetitions writes them: must be ignored.
        entries.append({"name": name + "_median", "run_name": name,
                        "run_type": "aggregate", "aggregate_name": "median",
                        **{m: 1e9 for m in metrics}})
    return {"context": {}, "benchmarks": entries}


class BenchCompareTest(unittest.TestCase):
    def setUp(self):
        if not HAVE_SCIPY:
            self.skipTest(SKIP_REASON)
        self.dir = tempfile.TemporaryDirectory()
        self.baseline = self.write("baseline.json", synthetic(seed=1))

    def tearDown(self):
        if HAVE_SCIPY:
            self.dir.cleanup()

    def write(self, name, data):
        path = os.path.join(self.dir.name, name)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f)
        return path

    def run_compare(self, new, *flags):
        out = io.StringIO()
        code = bench_compare.main([self.baseline, new, *flags], stdout=out)
        return code, out.getvalue()

    def test_rerunsFromTheSameDistributionRaiseNoAlarm(self):
        for seed in range(2, 12):
            new = self.write(f"rerun{seed}.json", synthetic(seed))
            code, text = self.run_compare(new)
            self.assertEqual(code, 0, f"false alarm on rerun seed {seed}:\n{text}")
            self.assertIn("0 regressions", text)

    def test_plantedTenPercentSlowdownIsCaught(self):
        new = self.write("slow.json", synthetic(42, ("W1_pipes/torsion_epoll", 1.10)))
        code, text = self.run_compare(new)
        self.assertEqual(code, 1, text)
        self.assertIn("1 regressions", text)
        regression = [l for l in text.splitlines() if "**REGRESSION**" in l]
        self.assertEqual(len(regression), 1, text)
        self.assertIn("W1_pipes/torsion_epoll/1000", regression[0])

    def test_perBenchmarkThresholdOverride(self):
        new = self.write("slow.json", synthetic(42, ("W1_pipes/torsion_epoll", 1.10)))
        code, text = self.run_compare(new, "--threshold-for", "W1_pipes/torsion_*=20")
        self.assertEqual(code, 0, text)
        config = os.path.join(self.dir.name, "thresholds.txt")
        with open(config, "w", encoding="utf-8") as f:
            f.write("# slack for a noisy benchmark\nW1_pipes/*:ns_per_event 15\n")
        code, text = self.run_compare(new, "--config", config)
        self.assertEqual(code, 0, text)

    def test_improvementIsNotAnAlarm(self):
        new = self.write("fast.json", synthetic(7, ("W4_chain", 0.8)))
        code, text = self.run_compare(new)
        self.assertEqual(code, 0, text)
        self.assertIn("1 improvements", text)

    def test_tooFewRepetitionsIsInconclusiveNotAnAlarm(self):
        data = synthetic(9, ("W1_pipes/torsion_epoll", 1.5))
        data["benchmarks"] = [e for e in data["benchmarks"] if e.get("repetition_index", 0) < 2]
        code, text = self.run_compare(self.write("few.json", data))
        self.assertEqual(code, 0, text)
        self.assertIn("inconclusive", text)

    def test_badInputIsAClearError(self):
        bad = self.write("bad.json", {"not": "benchmarks"})
        err = io.StringIO()
        stderr, sys.stderr = sys.stderr, err
        try:
            code = bench_compare.main([self.baseline, bad], stdout=io.StringIO())
        finally:
            sys.stderr = stderr
        self.assertEqual(code, 2)
        self.assertIn("no 'benchmarks' list", err.getvalue())


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
    runner = unittest.TextTestRunner(resultclass=JUnitResult, verbosity=2)
    result = runner.run(unittest.defaultTestLoader.loadTestsFromTestCase(BenchCompareTest))
    if os.environ.get("XML_OUTPUT_FILE"):
        write_junit(os.environ["XML_OUTPUT_FILE"], result.outcomes)
    sys.exit(0 if result.wasSuccessful() else 1)
