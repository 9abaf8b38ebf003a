# `make bench-int8` (run.sh int8): Petal's int8 inference against its own fp32 (petal-bench --compare-int8, both in one
# process) and against ONNX Runtime and OpenVINO running the same network in fp32 and as ONNX Runtime's QDQ int8
# model, interleaved round by round (see interleave.py); prints the medians and Petal int8's ratios to each.
import argparse
import os
import statistics

import interleave

parser = argparse.ArgumentParser()
parser.add_argument("--petal", required=True, help="petal-bench executable")
parser.add_argument("--python", required=True, help="python of a venv with torch, onnxruntime and (optionally) openvino")
parser.add_argument("--rounds", type=int, default=5)
parser.add_argument("--threads", default=str(os.cpu_count()))
parser.add_argument("--model", default="resnet18")
parser.add_argument("--crop", default="100")
args = parser.parse_args()

here = os.path.dirname(os.path.abspath(__file__))
reference = [args.python, f"{here}/quantized_model.py", "--threads", args.threads, "--model", args.model, "--crop", args.crop]
sides = {
    "Petal": [args.petal, "--compare-int8", "--json", "--model", args.model, "--crop", args.crop],
    "ONNX Runtime int8": reference + ["--runtime", "onnxruntime", "--precision", "int8"],
    "ONNX Runtime fp32": reference + ["--runtime", "onnxruntime", "--precision", "fp32"],
    "OpenVINO int8": reference + ["--runtime", "openvino", "--precision", "int8"],
    "OpenVINO fp32": reference + ["--runtime", "openvino", "--precision", "fp32"],
}
results = interleave.run(sides, args.rounds, args.threads)
rows = {"Petal int8": [(r["infer_ips"], r["latency_ms"]) for r in results["Petal"]],
        "Petal fp32": [(r["fp32_infer_ips"], r["fp32_latency_ms"]) for r in results["Petal"]]}
rows.update({name: [(r["infer_ips"], r["latency_ms"]) for r in runs] for name, runs in results.items() if name != "Petal"})
best = {name: (statistics.median(v[0] for v in values), statistics.median(v[1] for v in values)) for name, values in rows.items()}
petal = best["Petal int8"]
print(f"\n{args.model} at {args.crop}x{args.crop}, {args.threads} threads, {args.rounds} interleaved rounds (medians)")
print(f"{'':22} {'batch 32 images/s':>18} {'batch 1 ms':>11}   Petal int8 is, in throughput / latency")
for name, (ips, ms) in best.items():
    print(f"{name:22} {ips:18.1f} {ms:11.2f}   ×{petal[0] / ips:.2f} / ×{ms / petal[1]:.2f} faster")
