"""Reading benchmark results: Google Benchmark JSON and tools/bench's
results.json, which keeps the same `benchmarks` list.

Shared by tools/bench_report.py and tools/bench_compare.py so that both see
the same samples: one value per repetition for each (benchmark, metric).

A benchmark is named `W<k>_<workload>/<impl>/<N>[/...]`, for example
`W1_pipes/torsion_epoll/1000/manual_time`; its metrics are its counters named
`ns_per_*` (nanoseconds per event, per timer scheduled, per call...) or
`*_ns` / `*_ns_per_*` (latency_p99_ns, server_cpu_ns_per_roundtrip, all
nanoseconds, lower is better), `bytes_per_*` (W2_memory's heap bytes per
pending timer, lower is better), or its real time in nanoseconds when it has
none.
"""
import collections
import json

TIME_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}

# Display order, and which implementations are peers or reference loops.
IMPL_ORDER = [
    "torsion", "torsion_epoll", "torsion_poll", "torsion_select", "torsion_io_uring",
    "torsion_glib", "torsion_qt",
    "libevent", "libev", "libuv", "asio", "twisted",
    "min_epoll", "min_poll", "min_select", "plain_anyinvocable",
]
# Reference implementations that are not peers: the minimal loops, and W5's
# plain loop over std::vector<absl::AnyInvocable>.
REFERENCES = {"plain_anyinvocable"}
PEERS = {"libevent", "libev", "libuv", "asio", "twisted"}


class BenchKey(collections.namedtuple("BenchKey", "workload impl n")):
    """W1_pipes / torsion_epoll / 1000."""

    def __str__(self):
        return f"{self.workload}/{self.impl}/{self.n}"


def parse_name(name):
    """Splits a benchmark name; returns None for names of another layout."""
    parts = name.split("/")
    if len(parts) < 3 or not parts[2].isdigit():
        return None
    return BenchKey(parts[0], parts[1], int(parts[2]))


def impl_kind(impl):
    if impl == "torsion" or impl.startswith("torsion_"):
        return "torsion"
    if impl.startswith("min_") or impl in REFERENCES:
        return "min"
    return "peer"


def backend_of(impl):
    """torsion_epoll -> epoll; None for peers and backend-less names."""
    if impl_kind(impl) == "peer" or "_" not in impl or impl in REFERENCES:
        return None
    return impl.split("_", 1)[1]


def is_metric(key):
    return (key.startswith("ns_per_") or key.startswith("bytes_per_") or key.endswith("_ns")
            or "_ns_per_" in key)


def impl_rank(impl):
    return IMPL_ORDER.index(impl) if impl in IMPL_ORDER else len(IMPL_ORDER)


def load_entries(path):
    """The `benchmarks` list of a results file. Raises ValueError naming the
    file when it is not benchmark JSON."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not JSON ({e})") from e
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        raise ValueError(f"{path}: no 'benchmarks' list (not Google Benchmark JSON)")
    return data["benchmarks"] + left_out_entries(data.get("context", {}))


# How the message of a cell a binary left out begins (left_out_entries).
LEFT_OUT = "not run: "


def left_out_entries(context):
    """Cells a benchmark binary did not register because of a limit of the
    machine or the poller (benchmarks/drivers.h pipeSizes): the context key
    `skipped NAME` holds the reason. Returned as skipped entries, their
    message beginning with LEFT_OUT, so that the report lists them with the
    errors instead of leaving a silent gap."""
    return [{"name": key[len("skipped "):], "error_occurred": True,
             "error_message": LEFT_OUT + reason}
            for key, reason in sorted(context.items())
            if isinstance(key, str) and key.startswith("skipped ") and isinstance(reason, str)]


def sized_cells(context):
    """{BenchKey: reason} for cells a benchmark binary ran at a smaller N than
    its nominal one to fit a limit of the machine (context key `sized NAME`)."""
    cells = {}
    for key, reason in context.items():
        if isinstance(key, str) and key.startswith("sized ") and isinstance(reason, str):
            parsed = parse_name(key[len("sized "):])
            if parsed is not None:
                cells[parsed] = reason
    return cells


def metrics_of(entry):
    """{metric: value in ns} for one repetition entry."""
    found = {k: float(v) for k, v in entry.items()
             if is_metric(k) and isinstance(v, (int, float)) and not isinstance(v, bool)}
    if not found and "real_time" in entry:
        unit = TIME_UNIT_NS.get(entry.get("time_unit", "ns"), 1.0)
        found["real_time_ns"] = float(entry["real_time"]) * unit
    return found


def collect(entries):
    """Returns (samples, errors):
    samples: {(BenchKey, metric): [value per repetition]}
    errors: {BenchKey: message} for benchmarks that were skipped or failed.
    Aggregate rows (mean, median, stddev, cv) are ignored: statistics are
    computed here from the repetitions."""
    samples = collections.defaultdict(list)
    errors = {}
    for entry in entries:
        key = parse_name(entry.get("run_name") or entry.get("name", ""))
        if key is None:
            continue
        if entry.get("error_occurred"):
            errors[key] = entry.get("error_message", "error")
            continue
        if entry.get("run_type", "iteration") != "iteration":
            continue
        for metric, value in metrics_of(entry).items():
            samples[(key, metric)].append(value)
    return dict(samples), errors


def metric_label(metric):
    """ns_per_event -> ns/event; server_cpu_ns_per_mb -> server CPU ns/mb;
    latency_p99_ns -> latency p99."""
    if metric.startswith("ns_per_"):
        return "ns/" + metric[len("ns_per_"):]
    if metric.startswith("bytes_per_"):
        return "bytes/" + metric[len("bytes_per_"):]
    if "_ns_per_" in metric:
        what, per = metric.split("_ns_per_", 1)
        return what.replace("server_cpu", "server CPU").replace("_", " ") + " ns/" + per
    if metric.endswith("_ns"):
        return metric[:-len("_ns")].replace("_", " ")
    return metric
