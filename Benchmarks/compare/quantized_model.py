# The reference side of `make bench-int8`: the torchvision network of ort_model.py (--model, --crop; exported once into
# .bench-cache/), quantized by ONNX Runtime's quantize_static -- QDQ, per-channel QInt8 weights, QUInt8 activations,
# min-max calibration on 64 uniform random images (what petal-bench --compare-int8 calibrates on: speed does not depend
# on the ranges) -- and run by --runtime onnxruntime or openvino (which reads the same QDQ model), --precision int8 or
# fp32, with --threads threads. Prints one JSON line: infer_ips at batch 32 and latency_ms at batch 1, each the median
# of several timed runs after a warm-up.
import argparse
import json
import os
import subprocess
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--model", default="resnet18")
parser.add_argument("--crop", type=int, default=100)
parser.add_argument("--runtime", choices=["onnxruntime", "openvino"], default="onnxruntime")
parser.add_argument("--precision", choices=["int8", "fp32"], default="int8")
parser.add_argument("--steps", type=int, default=10)
parser.add_argument("--latency-runs", type=int, default=50)
args = parser.parse_args()

here = os.path.dirname(os.path.abspath(__file__))
cache = os.path.join(here, "..", "..", ".bench-cache")
fp32 = os.path.join(cache, f"{args.model}-2classes-{args.crop}.onnx")
if not os.path.exists(fp32):  # ort_model.py exports it (with torch, in a child process)
    subprocess.run([sys.executable, os.path.join(here, "ort_model.py"), "--model", args.model, "--crop", str(args.crop),
                    "--steps", "1", "--latency-runs", "1"], check=True, capture_output=True)
int8 = fp32.replace(".onnx", ".qdq.onnx")

import numpy as np

if not os.path.exists(int8):
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Images(CalibrationDataReader):
        def __init__(self):
            rng = np.random.default_rng(3)
            self.batches = iter([{"x": rng.random((32, 3, args.crop, args.crop), dtype=np.float32)} for _ in range(2)])

        def get_next(self):
            return next(self.batches, None)

    prepared = int8 + ".pre.onnx"
    quant_pre_process(fp32, prepared)
    quantize_static(prepared, int8 + ".tmp", Images(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    os.replace(int8 + ".tmp", int8)
    os.remove(prepared)

from reference import peak_rss_mb, timed

path = int8 if args.precision == "int8" else fp32
x = np.random.default_rng(0).random((32, 3, args.crop, args.crop), dtype=np.float32)
one = np.ascontiguousarray(x[:1])
if args.runtime == "onnxruntime":
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = args.threads, 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    run, version = (lambda batch: session.run(None, {"x": batch})), ort.__version__
else:
    import openvino as ov

    core = ov.Core()
    model = core.read_model(path)
    model.reshape({model.inputs[0]: ov.PartialShape([-1, 3, args.crop, args.crop])})
    compiled = core.compile_model(model, "CPU", {"INFERENCE_NUM_THREADS": args.threads, "NUM_STREAMS": 1,
                                                 "INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY"})
    request = compiled.create_infer_request()
    run, version = (lambda batch: request.infer({0: batch})), ov.__version__

infer = timed(lambda: run(x), 3, args.steps)
latency = timed(lambda: run(one), 5, args.latency_runs)
print(json.dumps({"train_ips": None, "infer_ips": 32 / infer, "latency_ms": latency * 1000, "peak_rss_mb": peak_rss_mb(),
                  "precision": args.precision, args.runtime: version}))
