# Shared by compare.py and tutorial_compare.py: runs each side's command once per round, one side after another, and
# collects the JSON line each prints. For every run it also measures how much CPU time went to *other* processes
# meanwhile (all CPU time from /proc/stat minus the run's own), since a build or benchmark elsewhere on the machine
# skews every figure -- PyTorch's bf16 training fell tenfold beside one -- and warns when that share is not small.
import json
import os
import resource
import subprocess
import sys
import time


def busy_seconds():
    """CPU seconds spent outside idle and iowait by the whole machine since boot, or None without /proc/stat."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return None
    return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(sides, rounds, threads):
    """{name: command} -> {name: [parsed JSON per round, plus "disturbed"]}; a failing reference is dropped, a failing
    Petal ends it."""
    env = {"OMP_WAIT_POLICY": "passive", "OMP_NUM_THREADS": threads, "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "2"}
    results, disturbed = {name: [] for name in sides}, 0
    for r in range(rounds):
        for name, command in list(sides.items()):
            busy0, own0, t0 = busy_seconds(), children_cpu_seconds(), time.perf_counter()
            out = subprocess.run(command, capture_output=True, text=True, env=env)
            busy1, own1, wall = busy_seconds(), children_cpu_seconds(), time.perf_counter() - t0
            lines = [l for l in out.stdout.splitlines() if l.startswith("{")]
            if out.returncode != 0 or not lines:
                if name == "Petal":
                    sys.exit(f"Petal failed: {out.stderr.strip()[-800:]}")
                print(f"{name} failed and is left out: {out.stderr.strip()[-800:]}", flush=True)
                del sides[name], results[name]
                continue
            result, note = json.loads(lines[-1]), ""
            if busy0 is not None:
                others = min(1.0, max(0.0, (busy1 - busy0) - (own1 - own0)) / (wall * os.cpu_count()))
                disturbed += others > 0.1
                result["disturbed"], note = others > 0.1, f" (other processes {100 * others:.0f}% of the CPUs)"
            results[name].append(result)
            print(f"round {r + 1}/{rounds} {name}{note}: {lines[-1]}", flush=True)
    if disturbed:
        print(f"\nWARNING: during {disturbed} run(s) other processes took over 10% of the CPUs; "
              "those figures are unreliable, run again on a quiet machine.")
    return results
