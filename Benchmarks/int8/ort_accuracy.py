# The reference side of Benchmarks/int8/accuracy.sh: the same fp32 checkpoint as Petal quantizes, exported by
# `petal export`, quantized by ONNX Runtime's quantize_static (QDQ, per-channel QInt8 weights, QUInt8 activations,
# min-max) on the same number of images taken evenly from the classes, and run on every photo as `petal predict
# --save-inputs` prepared it. Prints the share of labels ONNX Runtime's int8 leaves unchanged, with and without
# reduce_range (7-bit weights, what Petal runs on a CPU without VNNI), and how close the fp32 model's own predictions
# sit to a tie (labels of near-ties flip under any small change).
#
# usage: python ort_accuracy.py PETAL CHECKPOINT DATA IMAGES WORKDIR
import json
import os
import subprocess
import sys

import numpy as np
import onnxruntime as ort
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

petal, checkpoint, data, images, work = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
os.makedirs(work, exist_ok=True)
fp32 = os.path.join(work, "fp32.onnx")
subprocess.run([petal, "export", checkpoint, "-o", fp32, "--overwrite"], check=True, capture_output=True)
inputs = os.path.join(work, "inputs")
folders = sorted(os.path.join(data, d) for d in os.listdir(data) if os.path.isdir(os.path.join(data, d)))
lines = subprocess.run([petal, "predict", checkpoint, *folders, "--save-inputs", inputs, "--json"], check=True,
                       capture_output=True, text=True).stdout.splitlines()
rows = [json.loads(line) for line in lines]
rows = [r for r in rows if "label" in r]
classes = sorted(rows[0]["probabilities"])
x = np.concatenate([np.load(os.path.join(inputs, r["outputName"] + ".npy")).astype(np.float32)[None] for r in rows])
x = x.reshape(len(rows), 3, *x.shape[-2:])


def run(path):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return np.concatenate([session.run(None, {name: x[i:i + 32]})[0] for i in range(0, len(x), 32)])


reference = run(fp32)
petal_labels = np.array([classes.index(r["label"]) for r in rows])
agree = (reference.argmax(1) == petal_labels).mean()
# Calibration: up to IMAGES images, evenly from the classes (as `petal quantize` takes them).
per_class = -(-images // len(classes))
chosen = [i for c in classes for i in [k for k, r in enumerate(rows) if os.path.basename(os.path.dirname(r["path"])) == c][:per_class]]


class Calibration(CalibrationDataReader):
    def __init__(self, name):
        self.batches = iter([{name: x[chosen[i:i + 32]]} for i in range(0, len(chosen), 32)])

    def get_next(self):
        return next(self.batches, None)


prepared = os.path.join(work, "fp32.pre.onnx")
quant_pre_process(fp32, prepared)
name = ort.InferenceSession(prepared, providers=["CPUExecutionProvider"]).get_inputs()[0].name
top = np.array([max(r["probabilities"].values()) for r in rows])
print(f"ONNX Runtime fp32 labels equal Petal fp32's: {100 * agree:.2f} % of {len(rows)}")
for reduce_range in (False, True):
    int8 = os.path.join(work, f"int8{'-reduce-range' if reduce_range else ''}.onnx")
    quantize_static(prepared, int8, Calibration(name), quant_format=QuantFormat.QDQ, per_channel=True,
                    reduce_range=reduce_range, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    same = run(int8).argmax(1) == reference.argmax(1)
    confident = top >= 0.6
    print(f"ONNX Runtime int8 (min-max{', reduce_range' if reduce_range else ''}, {len(chosen)} images): labels equal fp32's "
          f"{100 * same.mean():.2f} %; {100 * same[confident].mean():.2f} % of the {confident.sum()} with fp32 top probability >= 0.6")
print(f"fp32 predictions: median top probability {np.median(top):.3f}, {100 * (top < 0.55).mean():.1f} % below 0.55")
