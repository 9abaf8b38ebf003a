# The int8 half of make check-onnx (see onnx.sh): the QDQ export of `petal quantize`'s model, checked by onnx.checker
# and run by ONNX Runtime and by OpenVINO on every saved input, against petal predict's probabilities with the int8
# checkpoint. They differ by more than fp32's 1e-4: on a CPU without VNNI Petal runs its weight codes halved (7 bits; the
# file and the export hold 8), and each runtime rounds and fuses its own way, so the differences are of the size of
# int8's own error (ONNX Runtime's int8 against its fp32 differs as much on the demo model). The check asks for every
# label to agree and every probability within 0.15 (measured on the demo model: 0.046 ONNX Runtime, 0.13 OpenVINO).
import json
import os
import sys

import numpy as np
import onnx

out = sys.argv[1]
rows = [json.loads(line) for line in open(f"{out}/predictions-int8.jsonl")]
model = onnx.load(f"{out}/int8.onnx")
onnx.checker.check_model(model, full_check=True)
ops = {n.op_type for n in model.graph.node}
assert {"QuantizeLinear", "DequantizeLinear"} <= ops, f"no QDQ nodes in the int8 export: {sorted(ops)}"
classes = json.loads({p.key: p.value for p in model.metadata_props}["petal.classes"])

runtimes = {}
import onnxruntime as ort
session = ort.InferenceSession(f"{out}/int8.onnx", providers=["CPUExecutionProvider"])
runtimes[f"ONNX Runtime {ort.__version__}"] = lambda x: session.run(None, {"input": x})[0]
# The file's meaning, computed literally (QuantizeLinear, DequantizeLinear, float Conv): no runtime's int8 kernels.
literal_options = ort.SessionOptions()
literal_options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
literal = ort.InferenceSession(f"{out}/int8.onnx", literal_options, providers=["CPUExecutionProvider"])
runtimes["ONNX Runtime, QDQ as defined (optimisations off)"] = lambda x: literal.run(None, {"input": x})[0]
try:
    import openvino as ov
    compiled = ov.Core().compile_model(f"{out}/int8.onnx", "CPU")
    runtimes[f"OpenVINO {ov.__version__.split('-')[0]}"] = lambda x: compiled(x)[0]
except ImportError:
    print("OpenVINO is not installed in this venv; checked with ONNX Runtime only")

failed = False
for name, run in runtimes.items():
    largest, same, count = 0.0, 0, 0
    for row in rows:
        if "probabilities" not in row:
            continue
        y = run(np.load(f"{out}/inputs/{os.path.basename(row['path'])}.npy"))
        e = np.exp(y - y.max(axis=1, keepdims=True))
        p = (e / e.sum(axis=1, keepdims=True))[0]
        petal = np.array([row["probabilities"][c] for c in classes])
        largest = max(largest, float(np.abs(p - petal).max()))
        same += int(np.argmax(p) == np.argmax(petal))
        count += 1
    print(f"int8.onnx in {name}: {count} validation images, largest probability difference from petal predict {largest:.2e}, "
          f"labels equal {same}/{count}")
    failed |= largest > 0.15 or same < count
print(f"QDQ nodes: {sum(n.op_type == 'QuantizeLinear' for n in model.graph.node)} QuantizeLinear, "
      f"{sum(n.op_type == 'DequantizeLinear' for n in model.graph.node)} DequantizeLinear")
if failed:
    sys.exit("check-onnx (int8): FAILED")
print("check-onnx (int8): passed")
