# ONNX Runtime side of `make bench-compare` (inference only): a torchvision network (--model, default resnet18;
# num_classes=2) in eval mode at --crop (default 100),
# exported once to ONNX with a dynamic batch axis (cached in .bench-cache/, which git ignores), run by an
# onnxruntime InferenceSession on the CPU with intra_op_num_threads=N, inter_op 1, sequential execution and every
# graph optimisation (ORT_ENABLE_ALL, which folds BN into the convolutions). It measures inference at batch 32 and
# latency at batch 1, each the median of several timed runs after a warm-up -- the figures the
# issue's "batch-1 latency no worse than ONNX Runtime's" target is checked against. The export runs in a child
# process, so that this one never imports torch and its peak RSS is ONNX Runtime's. Prints one JSON line with the
# keys of torch_model.py (train_ips is null).
import argparse
import json
import os
import subprocess
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--model", default="resnet18")
parser.add_argument("--crop", type=int, default=100)
parser.add_argument("--steps", type=int, default=20, help="timed inference batches")
parser.add_argument("--latency-runs", type=int, default=100)
parser.add_argument("--warmup", type=int, default=3)
parser.add_argument("--latency-only", action="store_true", help="skip batch 32 (latency_pairs.py)")
parser.add_argument("--export", metavar="PATH", help=argparse.SUPPRESS)  # child process: write the model, exit
args = parser.parse_args()

if args.export:
    import torch
    import torchvision

    torch.manual_seed(0)
    model = torchvision.models.get_model(args.model, num_classes=2).eval()
    batch = torch.export.Dim("batch", min=1, max=4096)
    torch.onnx.export(model, (torch.randn(2, 3, args.crop, args.crop),), args.export, input_names=["x"], output_names=["logits"],
                      dynamic_shapes={"x": {0: batch}}, external_data=False, dynamo=True, verbose=False)
    sys.exit(0)

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
path = os.path.join(root, ".bench-cache", f"{args.model}-2classes-{args.crop}.onnx")
if not os.path.exists(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    subprocess.run([sys.executable, __file__, "--model", args.model, "--crop", str(args.crop), "--export", path + ".tmp"], check=True)
    os.replace(path + ".tmp", path)

import numpy as np
import onnxruntime as ort

from reference import peak_rss_mb, timed

options = ort.SessionOptions()
options.intra_op_num_threads = args.threads
options.inter_op_num_threads = 1
options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
x = np.random.default_rng(0).standard_normal((32, 3, args.crop, args.crop), dtype=np.float32)
one = np.ascontiguousarray(x[:1])



infer = None if args.latency_only else timed(lambda: session.run(None, {"x": x}), args.warmup, args.steps)
latency = timed(lambda: session.run(None, {"x": one}), max(args.warmup, 5), args.latency_runs)
print(json.dumps({"train_ips": None, "infer_ips": infer and 32 / infer, "latency_ms": latency * 1000,
                  "peak_rss_mb": peak_rss_mb(),
                  "precision": "fp32", "onnxruntime": ort.__version__}))
