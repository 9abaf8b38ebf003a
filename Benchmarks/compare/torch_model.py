# PyTorch side of `make bench-compare`: a torchvision network (--model, default resnet18; 2 classes) at --crop (default
# 100) on the CPU with the given thread count; a training step (forward, cross-entropy, backward, SGD lr 0.01 update) at batch 32, inference at
# batch 32 and latency at batch 1, each the median of several timed runs after a warm-up. `--bf16` runs forward and
# loss under torch.autocast("cpu", bfloat16) (weights, gradients and the update stay fp32), the usual PyTorch
# mixed-precision recipe that Petal's `--bf16` is measured against. Prints one JSON line. Never used by Petal.
import argparse
import contextlib
import json

import torch
import torch.nn.functional as F
import torchvision

from reference import peak_rss_mb, timed

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--model", default="resnet18", help="a torchvision builder name (resnet18, mobilenet_v3_small, convnext_tiny, …)")
parser.add_argument("--crop", type=int, default=100)
parser.add_argument("--channels-last", action="store_true")
parser.add_argument("--bf16", action="store_true", help="autocast forward + loss to bfloat16")
parser.add_argument("--steps", type=int, default=20, help="timed training steps and inference batches")
parser.add_argument("--latency-runs", type=int, default=100)
parser.add_argument("--warmup", type=int, default=3)
args = parser.parse_args()

torch.set_num_threads(args.threads)
torch.manual_seed(0)
fmt = torch.channels_last if args.channels_last else torch.contiguous_format
model = torchvision.models.get_model(args.model, num_classes=2).to(memory_format=fmt)
x = torch.randn(32, 3, args.crop, args.crop).to(memory_format=fmt)
y = torch.arange(32) % 2
one = x[:1].clone().to(memory_format=fmt)
opt = torch.optim.SGD(model.parameters(), lr=0.01)


def autocast():
    return torch.autocast("cpu", dtype=torch.bfloat16) if args.bf16 else contextlib.nullcontext()



def train_step():
    opt.zero_grad()
    with autocast():
        loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()


model.train()
train = timed(train_step, args.warmup, args.steps)
model.eval()
with torch.no_grad(), autocast():
    infer = timed(lambda: model(x), args.warmup, args.steps)
    latency = timed(lambda: model(one), max(args.warmup, 5), args.latency_runs)
print(json.dumps({"train_ips": 32 / train, "infer_ips": 32 / infer, "latency_ms": latency * 1000,
                  "peak_rss_mb": peak_rss_mb(),
                  "precision": "bf16" if args.bf16 else "fp32", "torch": torch.__version__,
                  "channels_last": args.channels_last}))
