#!/usr/bin/python3
"""bench-compare BASELINE.json NEW.json: the benchmark regression gate.

Compares two benchmark result files (Google Benchmark JSON or tools/bench's
results.json) benchmark by benchmark and metric by metric. A metric has
regressed when both hold:

  * a one-sided Mann-Whitney U test over the repetitions says NEW is slower
    (p < --alpha, default 0.01): the difference is not noise;
  * the ratio of medians NEW/BASELINE exceeds 1 + threshold (default 5%):
    the difference matters.

Prints a markdown summary and exits 1 on any regression, 0 otherwise, 2 on
bad input. Thresholds can be set per benchmark with --threshold-for
'GLOB=PCT' (matched against `W1_pipes/torsion_epoll/1000:ns_per_event`, or the
part before the colon) or a config file of `GLOB PCT` lines (# comments).
With too few repetitions the test cannot reach --alpha at all; such metrics
are reported as inconclusive, never as regressions: use 5 or more.
"""
import argparse
import fnmatch
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_data  # noqa: E402


class Thresholds:
    """Per-benchmark thresholds (fractions); the first matching rule wins."""

    def __init__(self, default, rules):
        self.default = default
        self.rules = rules  # [(glob, fraction)]

    @staticmethod
    def parse_rule(text, where):
        glob, sep, pct = text.rpartition("=")
        if not sep:
            glob, _, pct = text.strip().rpartition(" ")
        try:
            value = float(pct) / 100.0
        except ValueError:
            value = -1
        if not glob.strip() or value < 0:
            raise ValueError(f"{where}: expected 'GLOB=PERCENT', got {text!r}")
        return glob.strip(), value

    @classmethod
    def load(cls, default_pct, flags, config_path):
        rules = [cls.parse_rule(f, "--threshold-for") for f in flags]
        if config_path:
            with open(config_path, encoding="utf-8") as f:
                for number, line in enumerate(f, 1):
                    line = line.split("#", 1)[0].strip()
                    if line:
                        rules.append(cls.parse_rule(line, f"{config_path}:{number}"))
        return cls(default_pct / 100.0, rules)

    def for_metric(self, key, metric):
        full = f"{key}:{metric}"
        for glob, value in self.rules:
            if fnmatch.fnmatchcase(full, glob) or fnmatch.fnmatchcase(str(key), glob):
                return value
        return self.default


def smallest_p(n1, n2):
    """The smallest one-sided p-value an exact U test can give for n1, n2."""
    return 1.0 / math.comb(n1 + n2, n1)


def compare(baseline, new, thresholds, alpha):
    """Returns a list of row dicts, one per (benchmark, metric) in both."""
    from scipy import stats  # imported here so --help works without scipy
    import numpy as np

    rows = []
    for (key, metric), new_values in sorted(new.items(), key=lambda kv: str(kv[0][0])):
        base_values = baseline.get((key, metric))
        if not base_values:
            continue
        base_median = float(np.median(base_values))
        new_median = float(np.median(new_values))
        ratio = new_median / base_median if base_median > 0 else math.inf
        threshold = thresholds.for_metric(key, metric)
        row = {
            "key": key, "metric": metric, "base": base_median, "new": new_median,
            "ratio": ratio, "threshold": threshold, "p_slower": None,
            "n": (len(base_values), len(new_values)),
        }
        if smallest_p(len(base_values), len(new_values)) >= alpha:
            row["verdict"] = "inconclusive"
        else:
            slower = stats.mannwhitneyu(new_values, base_values, alternative="greater")
            faster = stats.mannwhitneyu(new_values, base_values, alternative="less")
            row["p_slower"] = float(slower.pvalue)
            row["p_faster"] = float(faster.pvalue)
            if slower.pvalue < alpha and ratio > 1 + threshold:
                row["verdict"] = "REGRESSION"
            elif faster.pvalue < alpha and ratio < 1 - threshold:
                row["verdict"] = "improvement"
            else:
                row["verdict"] = "unchanged"
        rows.append(row)
    order = {"REGRESSION": 0, "improvement": 1, "inconclusive": 2, "unchanged": 3}
    rows.sort(key=lambda r: (order[r["verdict"]], str(r["key"]), r["metric"]))
    return rows


def number(x):
    """4 significant digits without an exponent: 12345 -> 12345, 3.14159 -> 3.142."""
    return f"{x:.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def markdown(rows, baseline_path, new_path, only_base, only_new, alpha):
    out = [f"## bench-compare: `{new_path}` against `{baseline_path}`", ""]
    counts = {v: sum(r["verdict"] == v for r in rows)
              for v in ("REGRESSION", "improvement", "unchanged", "inconclusive")}
    out.append(f"{counts['REGRESSION']} regressions, {counts['improvement']} improvements, "
               f"{counts['unchanged']} unchanged, {counts['inconclusive']} inconclusive "
               f"(Mann-Whitney U, alpha {alpha}).")
    out.append("")
    out.append("| benchmark | metric | baseline | new | change | p (slower) | threshold "
               "| n | verdict |")
    out.append("|---|---|---:|---:|---:|---:|---:|---|---|")
    for r in rows:
        p = "-" if r["p_slower"] is None else f"{r['p_slower']:.3g}"
        verdict = f"**{r['verdict']}**" if r["verdict"] == "REGRESSION" else r["verdict"]
        out.append(
            f"| {r['key']} | {bench_data.metric_label(r['metric'])} | {number(r['base'])} "
            f"| {number(r['new'])} | {100 * (r['ratio'] - 1):+.1f}% | {p} "
            f"| {100 * r['threshold']:.0f}% | {r['n'][0]}/{r['n'][1]} | {verdict} |")
    if counts["inconclusive"]:
        out += ["", "Inconclusive: too few repetitions for the test to reach alpha; "
                    "rerun with --repetitions 5 or more."]
    if only_base:
        out += ["", "Only in the baseline (not compared): " + ", ".join(sorted(only_base))]
    if only_new:
        out += ["", "Only in the new run (not compared): " + ", ".join(sorted(only_new))]
    return "\n".join(out) + "\n"


def main(argv=None, stdout=sys.stdout):
    parser = argparse.ArgumentParser(
        prog="bench-compare", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("baseline")
    parser.add_argument("new")
    parser.add_argument("--threshold", type=float, default=5.0,
                        help="minimum slowdown of the median that counts, in percent")
    parser.add_argument("--threshold-for", action="append", default=[], metavar="GLOB=PCT",
                        help="per-benchmark threshold, e.g. 'W1_pipes/*/100=10'")
    parser.add_argument("--config", help="file of 'GLOB PERCENT' lines")
    parser.add_argument("--alpha", type=float, default=0.01)
    parser.add_argument("--markdown-out", help="also write the summary to this file")
    args = parser.parse_args(argv)
    try:
        import scipy  # noqa: F401
    except ImportError:
        print("bench-compare: scipy is missing; install python3-scipy "
              "(apt-get install python3-scipy)", file=sys.stderr)
        return 2
    try:
        thresholds = Thresholds.load(args.threshold, args.threshold_for, args.config)
        baseline, _ = bench_data.collect(bench_data.load_entries(args.baseline))
        new, _ = bench_data.collect(bench_data.load_entries(args.new))
    except (OSError, ValueError) as e:
        print(f"bench-compare: {e}", file=sys.stderr)
        return 2
    if not baseline or not new:
        print("bench-compare: no benchmark repetitions in "
              f"{args.baseline if not baseline else args.new}", file=sys.stderr)
        return 2
    rows = compare(baseline, new, thresholds, args.alpha)
    base_keys = {str(k) for k, _ in baseline}
    new_keys = {str(k) for k, _ in new}
    text = markdown(rows, args.baseline, args.new, base_keys - new_keys,
                    new_keys - base_keys, args.alpha)
    stdout.write(text)
    if args.markdown_out:
        with open(args.markdown_out, "w", encoding="utf-8") as f:
            f.write(text)
    return 1 if any(r["verdict"] == "REGRESSION" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
