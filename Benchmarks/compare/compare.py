# `make bench-compare`: Petal against PyTorch on identical work (torchvision ResNet-18 v1, 2 classes, 100x100x3,
# fp32, batch 32, same thread count), interleaved over several rounds so that machine drift hits every side
# alike; prints medians, spread and Petal's ratio to each. Python is used only here, to drive the reference.
import json
import statistics
import subprocess
import sys

petal_bench, python, rounds, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
here = __file__.rsplit("/", 1)[0]
sides = {
    "Petal": [petal_bench, "--only", "model", "--json"],
    "PyTorch NCHW": [python, f"{here}/torch_resnet18.py", "--threads", threads],
    "PyTorch channels-last": [python, f"{here}/torch_resnet18.py", "--threads", threads, "--channels-last"],
}
results = {name: [] for name in sides}
for r in range(rounds):
    for name, command in sides.items():
        out = subprocess.run(command, capture_output=True, text=True, env={"OMP_WAIT_POLICY": "passive", "OMP_NUM_THREADS": threads, "PATH": "/usr/bin:/bin"})
        if out.returncode != 0:
            sys.exit(f"{name} failed: {out.stderr.strip()[-500:]}")
        line = [l for l in out.stdout.splitlines() if l.startswith("{")][-1]
        results[name].append(json.loads(line))
        print(f"round {r + 1}/{rounds} {name}: {line}", flush=True)

metrics = [("train_ips", "training step, images/s", True), ("infer_ips", "inference batch 32, images/s", True),
           ("latency_ms", "latency batch 1, ms", False), ("peak_rss_mb", "peak memory (RSS), MB", False)]
print(f"\nResNet-18, 100x100x3, fp32, {threads} threads, {rounds} interleaved rounds (median [min–max])")
print(f"{'':32}" + "".join(f"{name:>26}" for name in sides) + "   Petal ÷ best PyTorch")
for key, label, higher in metrics:
    cells, medians = [], {}
    for name in sides:
        v = [x[key] for x in results[name]]
        medians[name] = statistics.median(v)
        cells.append(f"{medians[name]:.1f} [{min(v):.1f}–{max(v):.1f}]")
    best = max if higher else min
    ref = best(medians[n] for n in sides if n != "Petal")
    ratio = medians["Petal"] / ref if higher else ref / medians["Petal"]
    print(f"{label:32}" + "".join(f"{c:>26}" for c in cells) + f"   ×{ratio:.2f}")
