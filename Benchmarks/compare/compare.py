# `make bench-compare`: Petal against PyTorch (NCHW and channels-last), ONNX Runtime (inference only, fp32) and
# TF/Keras (ResNet-18 only, when a Keras venv is given) on identical work -- a torchvision network (--model, default
# ResNet-18 v1), 2 classes, --crop (default 100), batch 32 training step (SGD lr 0.01) and inference, batch-1 latency,
# peak RSS -- at one precision and the same thread count. The
# sides run one after another in each of several rounds, so that machine drift hits every side alike; the table
# shows each side's median [min-max] over the rounds, Petal's ratio to each reference and to the best one, and the
# issue's targets. Python is used only here, to drive the references; Petal never needs it.
import argparse
import os
import statistics

import interleave

parser = argparse.ArgumentParser()
parser.add_argument("--petal", required=True, help="the petal-bench executable")
parser.add_argument("--torch-python", required=True, help="python of a venv with torch, torchvision, onnxruntime")
parser.add_argument("--keras-python", default=os.environ.get("KERAS_PYTHON"), help="python of a venv with keras (env KERAS_PYTHON)")
parser.add_argument("--rounds", type=int, default=5)
parser.add_argument("--threads", default=str(os.cpu_count()))
parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
parser.add_argument("--steps", type=int, help="timed steps per side (each script's default when absent)")
parser.add_argument("--model", default="resnet18", help="resnet18 … resnet152 or a torchvision name Petal builds (mobilenet_v3_small, convnext_tiny, …)")
parser.add_argument("--crop", type=int, default=100)
args = parser.parse_args()

here = os.path.dirname(os.path.abspath(__file__))
bf16 = args.precision == "bf16"
common = ["--threads", args.threads] + (["--steps", str(args.steps)] if args.steps else [])
model = ["--model", args.model, "--crop", str(args.crop)]
torch = [args.torch_python, f"{here}/torch_model.py"] + common + model + (["--bf16"] if bf16 else [])
petal = [args.petal, "--only", "model", "--json"] + model + (["--bf16"] if bf16 else [])
sides = {"Petal": petal}
if not bf16:
    # Petal's default lets oneDNN use Winograd for 3x3 stride-1 convolutions, which the references do not do on
    # CPU; the same model with direct convolutions shows how much of the lead is that choice.
    sides["Petal, direct conv"] = petal + ["--convolution", "direct"]
sides.update({
    "PyTorch NCHW": torch,
    "PyTorch channels-last": torch + ["--channels-last"],
})
if bf16:
    print("ONNX Runtime: skipped at bf16 (the comparison runs it in fp32 only)")
else:
    sides["ONNX Runtime"] = [args.torch_python, f"{here}/ort_model.py"] + common + model
if args.model != "resnet18" or args.crop != 100:
    print("TF/Keras: skipped (its side builds ResNet-18 at 100x100 only)")
elif args.keras_python and os.path.exists(args.keras_python):
    sides["TF/Keras"] = [args.keras_python, f"{here}/keras_resnet18.py"] + common + (["--bf16"] if bf16 else [])
else:
    print("TF/Keras: skipped (no Keras venv; set KERAS_PYTHON, or run with KERAS=1)")

results = interleave.run(sides, args.rounds, args.threads)

# (key, heading, higher is better)
metrics = [("train_ips", "train b32, img/s", True), ("infer_ips", "infer b32, img/s", True),
           ("latency_ms", "latency b1, ms", False), ("peak_rss_mb", "peak RSS, MB", False)]
medians = {name: {} for name in sides}
print(f"\n{args.model}, 2 classes, {args.crop}x{args.crop}x3, {args.precision}, {args.threads} threads, {args.rounds} interleaved rounds: "
      "median [min-max]")
print(f"{'':24}" + "".join(f"{h:>24}" for _, h, _ in metrics))
for name in sides:
    cells = []
    for key, _, _ in metrics:
        v = [x[key] for x in results[name] if x.get(key) is not None]
        if v:
            medians[name][key] = statistics.median(v)
            cells.append(f"{medians[name][key]:.1f} [{min(v):.1f}-{max(v):.1f}]")
        else:
            cells.append("—")
    print(f"{name:24}" + "".join(f"{c:>24}" for c in cells))


def ratio(key, higher, ref, side="Petal"):
    """Petal's advantage over a reference value: >1 means Petal is better (faster, or less memory)."""
    petal = medians[side].get(key)
    if petal is None or ref is None:
        return None
    return petal / ref if higher else ref / petal


refs = [n for n in sides if not n.startswith("Petal")]
print("\nPetal's ratio, >1 = Petal better (train/infer: Petal ÷ reference; latency/RSS: reference ÷ Petal)")
for name in refs:
    cells = [ratio(k, h, medians[name].get(k)) for k, _, h in metrics]
    print(f"{'vs ' + name:24}" + "".join(f"{'—' if c is None else f'×{c:.2f}':>24}" for c in cells))
best = []
for key, _, higher in metrics:
    have = [n for n in refs if key in medians[n]]
    best.append(ratio(key, higher, (max if higher else min)(medians[n][key] for n in have)) if have else None)
print(f"{'vs best reference':24}" + "".join(f"{'—' if c is None else f'×{c:.2f}':>24}" for c in best))


def target(label, key, higher, among, needed, side="Petal"):
    have = [n for n in among if key in medians.get(n, {})]
    if not have or key not in medians[side]:
        print(f"  {label:44} —   (no {' / '.join(among)} figure at {args.precision})")
        return
    name = (max if higher else min)(have, key=lambda n: medians[n][key])
    r = ratio(key, higher, medians[name][key], side)
    doubt = any(x.get("disturbed") for n in (side, name) for x in results[n])
    print(f"  {label:44} ×{r:.2f} against {name}: {'met' if r >= needed else 'NOT met'}"
          + ("  (unreliable: other processes were busy during these runs)" if doubt else ""))


torches = ["PyTorch NCHW", "PyTorch channels-last"]
if args.model == "resnet18" and args.crop == 100:
    print("\nIssue #8 targets")
    target("training ≥ 1.25× the best PyTorch", "train_ips", True, torches, 1.25)
    target("inference b32 ≥ 1.2× the best PyTorch", "infer_ips", True, torches, 1.2)
    target("latency b1 ≤ ONNX Runtime's", "latency_ms", False, ["ONNX Runtime"], 1.0)
    target("peak RSS ≤ PyTorch's", "peak_rss_mb", False, torches, 1.0)
else:
    print("\nIssue #28 targets")
    target("training ≥ 1.2× the best PyTorch", "train_ips", True, torches, 1.2)
    target("inference b32 ≥ 1.2× the best PyTorch / ONNX Runtime", "infer_ips", True, torches + ["ONNX Runtime"], 1.2)
    target("latency b1 ≤ ONNX Runtime's", "latency_ms", False, ["ONNX Runtime"], 1.0)
if "Petal, direct conv" in medians:
    target("direct conv: training ≥ 1.25× the best PyTorch", "train_ips", True, torches, 1.25, side="Petal, direct conv")
ceilings = [x["ceiling_train_ips"] for x in results["Petal"] if x.get("ceiling_train_ips")]
if ceilings and "train_ips" in medians["Petal"]:
    # The ceiling: oneDNN's 2048^3 sgemm GFLOP/s in the same process, over a direct training step's 2.65 GFLOP/image.
    share = medians["Petal"]["train_ips"] / statistics.median(ceilings)
    print(f"  {'training ≥ 75% of the fp32 ceiling':44} {share:.0%} of {statistics.median(ceilings):.1f} img/s "
          f"(sgemm {statistics.median(x['ceiling_gflops'] for x in results['Petal']):.0f} GFLOP/s): "
          f"{'met' if share >= 0.75 else 'NOT met'}")
