"""The results file both Twisted benchmark scripts write.

Google Benchmark's JSON layout (context + benchmarks), so that tools/bench
reads Twisted's rows exactly as it reads the C++ binaries' rows.
"""
import json
import platform

import twisted


def repetition_entry(name, repetitions, index, iterations, time, unit, **counters):
    """One repetition as Google Benchmark's JSON writes it, so that
    tools/bench reads Twisted's rows like the C++ ones: `time` (real and CPU
    time alike) in `unit`, and the row's counters."""
    return {
        "name": name,
        "run_name": name,
        "run_type": "iteration",
        "repetitions": repetitions,
        "repetition_index": index,
        "threads": 1,
        "iterations": iterations,
        "real_time": time,
        "cpu_time": time,
        "time_unit": unit,
        **counters,
    }


def write_results(executable, context, entries, out_path):
    """Writes {"context", "benchmarks"} to out_path, or prints it when None.

    The context always names the script, Twisted's and Python's versions;
    `context` adds the script's own keys.
    """
    result = {
        "context": {
            "executable": executable,
            "twisted_version": twisted.__version__,
            "python_version": platform.python_version(),
            **context,
        },
        "benchmarks": entries,
    }
    text = json.dumps(result, indent=1)
    if out_path:
        with open(out_path, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    else:
        print(text)
