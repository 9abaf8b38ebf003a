# PyTorch's own oneDNN 3 on the shapes Petal trains: one ResNet-18 training step at 100×100, batch 32, channels-last,
# fp32 and bf16 autocast, with oneDNN's verbose log on (after warm-up steps), summed per convolution kind and shape.
# Run by Benchmarks/onednn3/run.sh with the reference environment (.venv-bench).
import collections
import os
import re
import sys

import torch
import torchvision

torch.manual_seed(0)
threads = int(os.environ.get("THREADS", os.cpu_count()))
torch.set_num_threads(threads)
model = torchvision.models.resnet18(num_classes=2).to(memory_format=torch.channels_last)
opt = torch.optim.SGD(model.parameters(), lr=0.01)
x = torch.randn(32, 3, 100, 100).to(memory_format=torch.channels_last)
y = torch.arange(32) % 2
for precision in ["fp32", "bf16"]:
    def step():
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    for _ in range(3):
        step()
    r, w = os.pipe()
    saved = os.dup(1)
    sys.stdout.flush()
    os.dup2(w, 1)
    with torch.backends.mkldnn.verbose(torch.backends.mkldnn.VERBOSE_ON):
        step()
    sys.stdout.flush()
    os.dup2(saved, 1)
    os.close(w)
    log = os.read(r, 1 << 26).decode(errors="replace")
    totals = collections.defaultdict(float)
    reorders = 0.0
    for line in log.splitlines():
        if not line.startswith("onednn_verbose") or ",exec," not in line:
            continue
        fields = line.split(",")
        ms = float(fields[-1])
        if ",reorder," in line:
            reorders += ms
            continue
        if ",convolution," not in line:
            continue
        kind = "forward" if "forward" in line else ("backward-weights" if "backward_weights" in line else "backward-data")
        shape = re.search(r"mb(\d+)_ic(\d+)oc(\d+)_ih(\d+)oh(\d+)kh(\d+)sh(\d+)", line)
        key = (kind, f"{shape.group(2)}->{shape.group(3)} {shape.group(4)}px k{shape.group(6)} s{shape.group(7)}" if shape else "?")
        totals[key] += ms
    version = re.search(r"oneDNN v([\d.]+)", log)
    print(f"PyTorch {torch.__version__}, oneDNN {version.group(1) if version else '?'}, {precision}, {threads} threads: one training step")
    for (kind, shape), ms in sorted(totals.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        print(f"  {shape:28s} {kind:17s} {ms:8.3f} ms")
    print(f"  all convolutions {sum(totals.values()):.1f} ms, reorders {reorders:.1f} ms")
