"""Assembles the soak's per-backend JSON objects into soak.json and soak.md.

    soak_report.py OUT_DIR RESULT.json...

Each RESULT.json holds what `soak` printed for one backend: the figures, or
{"backend", "skipped"} / {"backend", "error"}. soak.json is
{"soak": [those objects], "goals": {...}}; soak.md is a markdown fragment
(a table and one line per backend that did not run) for the benchmark
report to include.
"""

import json
import os
import sys

# The goals the soak is read against (docs/benchmarks.md, "Soak").
GOALS = {
    "connections": 10000,
    "bytes_per_idle_connection_max": 1024,
    "slow_readers": "server memory bounded by the write buffer's high-water mark "
    "(64 KiB per connection), not by what the peer sends",
}


def kib(value):
    return "%.0f KiB" % value


def mib(value):
    return "%.1f MiB" % (value / 1048576.0)


def row(r):
    held = "%d / %d" % (r["connections_held"], r["connections_wanted"])
    ok_idle = r["bytes_per_idle_connection"] <= GOALS["bytes_per_idle_connection_max"]
    return "| %s | %s | %.0f B%s | %s | %s | %s per reader (offered %s) | %s | %s | %.0f s |" % (
        r["backend"],
        held,
        r["bytes_per_idle_connection"],
        "" if ok_idle else " (over 1 KiB)",
        kib(r["server_rss_baseline_kib"]) + " -> " + kib(r["server_rss_idle_kib"]),
        "%d" % r["slow_readers"],
        mib(r["slow_bytes_sent_mean"]),
        mib(r["slow_bytes_offered"]),
        "+" + kib(r["server_growth_per_slow_reader_kib"]) + " per reader",
        "yes" if r["slow_echo_complete"] else "NO",
        r["seconds"],
    )


def markdown(results):
    lines = [
        "## Soak: connections held, idle cost, slow readers",
        "",
        "Loopback only; one torsion echo server process per backend (soak_server), the "
        "clients in another process. Bytes per idle connection = the server's VmRSS growth "
        "(user space; kernel socket buffers are not in it) / connections. Slow readers "
        "send without reading; the server's memory must stay bounded by its write buffers' "
        "high-water mark (64 KiB) while they stall.",
        "",
        "| backend | held | per idle connection | server VmRSS (baseline -> idle) "
        "| slow readers | sent before stalling | server memory with slow readers "
        "| all echoed back | time |",
        "| --- | ---: | ---: | --- | ---: | --- | --- | --- | ---: |",
    ]
    notes = []
    for r in results:
        if "skipped" in r:
            notes.append("* %s: not run: %s" % (r["backend"], r["skipped"]))
        elif "error" in r:
            notes.append("* %s: FAILED: %s" % (r["backend"], r["error"]))
        else:
            lines.append(row(r))
    if notes:
        lines.append("")
        lines.extend(notes)
    return "\n".join(lines) + "\n"


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    out_dir = argv[1]
    results = []
    for path in argv[2:]:
        with open(path) as f:
            results.append(json.load(f))
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "soak.json"), "w") as f:
        json.dump({"soak": results, "goals": GOALS}, f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "soak.md"), "w") as f:
        f.write(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
