# `make bench-latency` (run.sh latency): batch-1 latency of Petal against ONNX Runtime, fp32, as many short
# alternating pairs. The machine's speed drifts by a factor of up to two over minutes, which the model comparison's
# few one-minute rounds cannot average out; a pair of ~5 s runs sees nearly the same machine, so the median of the
# per-pair ratios is the steadier figure. Sides: Petal as shipped (passive OpenMP waiting, as the Makefile sets),
# Petal with briefly spinning OpenMP threads (GOMP_SPINCOUNT, `--spin 1000` by default; ONNX Runtime's own pool also
# spins before it sleeps), Petal with GNU OpenMP's own defaults (no OMP_WAIT_POLICY: what a program that links Petal
# gets outside the Makefile; threads spin ~300,000 times before sleeping), and ONNX Runtime. Each is a fresh process
# timing only batch-1 predictions after a warm-up.
import argparse
import os
import statistics
import sys

import interleave

parser = argparse.ArgumentParser()
parser.add_argument("--petal", required=True, help="petal-bench executable")
parser.add_argument("--torch-python", required=True, help="python of a venv with onnxruntime (and torch, for the export)")
parser.add_argument("--pairs", type=int, default=10)
parser.add_argument("--threads", default=str(os.cpu_count()))
parser.add_argument("--spin", default="1000", help="GOMP_SPINCOUNT of the spinning side; several, comma-separated, give a side each")
parser.add_argument("--baseline", help="another petal-bench (an earlier build) to compare against, as one more side")
args = parser.parse_args()

here = os.path.dirname(os.path.abspath(__file__))
sides = {
    "Petal": [args.petal, "--probe-latency", "--json"],
    **{f"Petal, GOMP_SPINCOUNT={n}": ["/usr/bin/env", f"GOMP_SPINCOUNT={n}", args.petal, "--probe-latency", "--json"]
       for n in args.spin.split(",")},
    "Petal, OpenMP defaults": ["/usr/bin/env", "-u", "OMP_WAIT_POLICY", args.petal, "--probe-latency", "--json"],
    "ONNX Runtime": [args.torch_python, f"{here}/ort_model.py", "--threads", args.threads, "--latency-only"],
}
if args.baseline:
    sides["Petal, baseline build"] = [args.baseline, "--probe-latency", "--json"]
results = interleave.run(sides, args.pairs, args.threads)
if "ONNX Runtime" not in results:
    sys.exit("ONNX Runtime failed; no ratio to report")
print(f"\nResNet-18 v1 fp32, batch 1, {args.threads} threads, {args.pairs} alternating rounds: latency ms, median [min-max]")
for name in sides:
    v = [x["latency_ms"] for x in results[name]]
    print(f"  {name:26} {statistics.median(v):6.2f} [{min(v):.2f}-{max(v):.2f}]")
ort = [x["latency_ms"] for x in results["ONNX Runtime"]]
print("ONNX Runtime ÷ Petal per round (>1 = Petal faster), median [min-max]:")
for name in [n for n in sides if n.startswith("Petal")]:
    r = [o / x["latency_ms"] for o, x in zip(ort, results[name])]
    wins = sum(q >= 1 for q in r)
    print(f"  {name:26} ×{statistics.median(r):.2f} [{min(r):.2f}-{max(r):.2f}], Petal faster in {wins} of {len(r)} rounds")
