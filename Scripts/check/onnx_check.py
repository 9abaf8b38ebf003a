# The Python half of make check-onnx (see onnx.sh): onnx.checker on both exports, then ONNX Runtime's probabilities on
# every saved input against petal predict's.
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort

out, checkpoint = sys.argv[1], sys.argv[2]
rows = [json.loads(line) for line in open(f"{out}/predictions.jsonl")]
worst = 0.0
for name, output in [("folded", "logits"), ("kept", "probabilities")]:
    model = onnx.load(f"{out}/{name}.onnx")
    onnx.checker.check_model(model, full_check=True)
    meta = {p.key: p.value for p in model.metadata_props}
    classes = json.loads(meta["petal.classes"])
    session = ort.InferenceSession(f"{out}/{name}.onnx", providers=["CPUExecutionProvider"])
    largest, count = 0.0, 0
    for row in rows:
        if "probabilities" not in row:
            continue
        x = np.load(f"{out}/inputs/{os.path.basename(row['path'])}.npy")
        (y,) = session.run(None, {"input": x})
        if output == "logits":
            e = np.exp(y - y.max(axis=1, keepdims=True))
            y = e / e.sum(axis=1, keepdims=True)
        petal = np.array([row["probabilities"][c] for c in classes])
        largest = max(largest, float(np.abs(y[0] - petal).max()))
        count += 1
    print(f"{name}.onnx ({output}, opset {model.opset_import[0].version}): onnx.checker accepts it; {count} validation images, "
          f"largest probability difference from petal predict {largest:.2e}")
    worst = max(worst, largest)
print(f"ONNX Runtime {ort.__version__}, onnx {onnx.__version__}, checkpoint {checkpoint}")
if worst > 1e-4:
    sys.exit(f"check-onnx: FAILED, largest difference {worst:.2e} > 1e-4")
print("check-onnx: passed")
