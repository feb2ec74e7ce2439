"""The timed gate's statistics: is the head slower than the base, beyond noise,
beyond what moved the whole machine, and by enough to matter?

Samples are one value per repetition for each series (benchmark, metric),
from bench_data.collect. For every torsion series:

  1. shift: the Hodges-Lehmann estimate of log(head) - log(base), the median
     of all pairwise differences (robust to a stray repetition);
  2. drift: the median shift of the control series of the same workload and
     metric, the minimal loops and the peers, whose code the change did not
     touch (every control of the run when the workload has none). What moves
     them moves the machine, not torsion;
  3. a one-sided Mann-Whitney U test of log(head) - drift against log(base)
     (exact when there are no ties);
  4. the p-values of all torsion series corrected together, Holm's method by
     default (family-wise: one false alarm in a run of hundreds of series is
     what must not happen), or Benjamini-Hochberg;
  5. REGRESSION when the corrected p < alpha and shift - drift is more than
     the minimum effect (5%). A shift that passes steps 4 and 5 only before
     the drift is taken out is reported as machine drift, not as a
     regression.

A series with too few repetitions for the corrected test ever to reach
alpha makes the comparison unable to judge, which is an error, not a pass.
"""
import dataclasses
import math

import bench_data
import ledger_gate

DEFAULT_ALPHA = 0.05
DEFAULT_MIN_EFFECT = 0.05
DEFAULT_REPETITIONS = 9


@dataclasses.dataclass
class Settings:
    alpha: float = DEFAULT_ALPHA
    min_effect: float = DEFAULT_MIN_EFFECT  # fraction, 0.05 = 5%
    correction: str = "holm"                # holm, bh, none
    drift_control: bool = True


@dataclasses.dataclass
class Series:
    key: object
    metric: str
    base: list
    head: list
    kind: str              # torsion, peer, min
    shift: float = 0.0     # log ratio, Hodges-Lehmann
    drift: float = 0.0     # log ratio of the controls
    p: float = 1.0         # one-sided, drift taken out
    p_raw: float = 1.0     # one-sided, drift left in
    p_faster: float = 1.0
    p_adjusted: float = 1.0
    p_raw_adjusted: float = 1.0
    p_faster_adjusted: float = 1.0
    verdict: str = ""

    @property
    def change(self):
        return math.exp(self.shift) - 1

    @property
    def excess(self):
        return math.exp(self.shift - self.drift) - 1


class CannotJudge(ValueError):
    """Too few repetitions for the corrected test to reach alpha."""


def hodges_lehmann(base_logs, head_logs):
    import numpy as np
    diffs = np.subtract.outer(np.asarray(head_logs), np.asarray(base_logs))
    return float(np.median(diffs))


def smallest_p(n1, n2):
    """The smallest one-sided p an exact U test can give for sizes n1, n2."""
    return 1.0 / math.comb(n1 + n2, n1)


def u_test(head, base, alternative):
    from scipy import stats
    ties = len(set(head) | set(base)) < len(head) + len(base)
    method = "asymptotic" if ties else "exact"
    return float(stats.mannwhitneyu(head, base, alternative=alternative, method=method).pvalue)


def adjust(pvalues, method):
    """Corrected p-values in the input's order."""
    m = len(pvalues)
    if m == 0 or method == "none":
        return list(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [1.0] * m
    if method == "holm":
        running = 0.0
        for rank, i in enumerate(order):
            running = max(running, min(1.0, (m - rank) * pvalues[i]))
            adjusted[i] = running
    elif method == "bh":
        running = 1.0
        for rank in range(m - 1, -1, -1):
            i = order[rank]
            running = min(running, pvalues[i] * m / (rank + 1))
            adjusted[i] = min(1.0, running)
    else:
        raise ValueError(f"unknown correction {method!r} (holm, bh, none)")
    return adjusted


def control_drifts(series):
    """{(workload, metric): median control shift}, and the run's overall one."""
    import numpy as np
    by_group = {}
    for s in series:
        if s.kind != "torsion":
            by_group.setdefault((s.key.workload, s.metric), []).append(s.shift)
    overall = [x for shifts in by_group.values() for x in shifts]
    drifts = {k: float(np.median(v)) for k, v in by_group.items()}
    return drifts, (float(np.median(overall)) if overall else 0.0), len(overall)


def judge(base, head, settings=None):
    """Returns the list of Series with verdicts. Raises CannotJudge."""
    import numpy as np
    st = settings or Settings()
    series = []
    for (key, metric) in sorted(set(base) & set(head), key=lambda km: (str(km[0]), km[1])):
        a, b = base[(key, metric)], head[(key, metric)]
        if min(a + b) <= 0:
            continue  # a zero cost cannot be compared in ratios
        s = Series(key, metric, list(a), list(b), bench_data.impl_kind(key.impl))
        s.shift = hodges_lehmann(np.log(a), np.log(b))
        series.append(s)
    tested = [s for s in series if s.kind == "torsion"]
    if not tested:
        return series
    # Can the corrected test reach alpha at all?
    m = len(tested) if st.correction != "none" else 1
    worst = max(tested, key=lambda s: smallest_p(len(s.base), len(s.head)))
    if smallest_p(len(worst.base), len(worst.head)) > st.alpha / m:
        need = next(n for n in range(2, 100) if smallest_p(n, n) <= st.alpha / m)
        raise CannotJudge(
            f"{worst.key} {bench_data.metric_label(worst.metric)} has {len(worst.base)} base "
            f"and {len(worst.head)} head repetitions: with {m} series corrected together "
            f"({st.correction}) no result could reach alpha {st.alpha}; run at least "
            f"{need} repetitions per side")
    drifts, overall, controls = control_drifts(series)
    for s in series:
        if st.drift_control and controls:
            s.drift = drifts.get((s.key.workload, s.metric), overall)
        log_a, log_b = np.log(s.base), np.log(s.head)
        s.p = u_test(list(log_b - s.drift), list(log_a), "greater")
        s.p_raw = u_test(list(log_b), list(log_a), "greater") if s.drift else s.p
        s.p_faster = u_test(list(log_b - s.drift), list(log_a), "less")
    for attr in ("p", "p_raw", "p_faster"):
        for s, q in zip(tested, adjust([getattr(s, attr) for s in tested], st.correction)):
            setattr(s, attr + "_adjusted", q)
    threshold = math.log1p(st.min_effect)
    for s in series:
        if s.kind != "torsion":
            s.verdict = "control"
            continue
        if s.p_adjusted < st.alpha and s.shift - s.drift > threshold:
            s.verdict = "REGRESSION"
        elif s.p_raw_adjusted < st.alpha and s.shift > threshold:
            s.verdict = "drift"
        elif s.p_faster_adjusted < st.alpha and s.shift - s.drift < -threshold:
            s.verdict = "improvement"
        else:
            s.verdict = "unchanged"
    return series


def missing_and_failed(base, head, base_errors, head_errors):
    """Rows (benchmark, text, fails) for benchmarks missing in the head or
    failed on either side; skipped on both for the same reason does not fail."""
    rows = []
    base_keys = {k for k, _ in base} | set(base_errors)
    head_keys = {k for k, _ in head} | set(head_errors)
    for key in sorted(base_keys | head_keys, key=str):
        b, h = base_errors.get(key), head_errors.get(key)
        if ledger_gate.same_reason(b, h):
            rows.append((key, f"skipped on both: {b}", False))
        elif b is not None or h is not None:
            which = "both" if b and h else "base" if b else "head"
            rows.append((key, f"failed in {which}: {h or b}", True))
        elif key not in head_keys:
            rows.append((key, "missing in the head", True))
        elif key not in base_keys:
            rows.append((key, "new in the head (not compared)", False))
    # Metrics a benchmark lost.
    for (key, metric) in sorted(set(base) - set(head), key=lambda km: (str(km[0]), km[1])):
        if key in head_keys and key not in head_errors:
            rows.append((key, f"{bench_data.metric_label(metric)} missing in the head", True))
    return rows
