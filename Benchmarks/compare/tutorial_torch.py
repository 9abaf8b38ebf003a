# PyTorch side of `make bench-tutorial`: the tutorial's run written the usual PyTorch way, timed per epoch, to set
# against `petal-bench --only tutorial --json` (the recipe of `make demo`'s training):
#  - data: every JPEG of Data/flowers-mini/<class>/ read with PIL, centre-cropped to 100x100 (smaller images skipped,
#    Petal's default), kept as uint8; per class the first 80% of the sorted files train and the last 20% validate
#    (the tutorial's order; Petal's default split is a seeded shuffle of the same sizes: 160 training, 40 validation);
#  - model: ResNet-18 pre-activation as Petal's `.preActivation` (raghakot/keras-resnet: biased convolutions, conv-BN-ReLU
#    stem and max-pool, BN-ReLU-conv blocks, no BN-ReLU before the first block's first conv, 1x1 strided conv shortcuts
#    without BN, final BN-ReLU, average pool, linear), 11,180,546 weights, written here (torchvision has no preact);
#  - training: a DataLoader (num_workers=0; 1 worker measured no faster on 2 cores: 7.1-7.9 s against 7.4 s an epoch)
#    with batches of 32 (reshuffled every epoch, last partial batch dropped), each doubled by an augmented copy of
#    itself; torchvision.transforms.v2.RandomAffine(degrees=30, translate=(0.1, 0.1), scale=(0.8, 1.2), shear=10,
#    bilinear) + RandomHorizontalFlip per image -- torchvision has no reflect fill for affine warps, so the uncovered
#    border is black where Keras and Petal reflect; one zoom factor for both axes where Keras draws two;
#  - SGD(lr 0.1) with each parameter's gradient clipped to norm 1 (Keras' clipnorm=1), lr 0.1 * 0.5^epoch;
#  - after every epoch: validation loss, accuracy and ROC AUC (scikit-learn).
# An epoch's time runs from its start to the end of its validation; total_s from reading the images to the end of the
# last epoch (Petal's total_s: scan, split, model, epochs). Prints one JSON line: first_epoch_s, later_epoch_s (the
# fastest later epoch), train_images_per_epoch, val_auc, ...
import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from reference import load_flowers
from sklearn.metrics import roc_auc_score
from torchvision.transforms import v2

parser = argparse.ArgumentParser()
parser.add_argument("--data", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../Data/flowers-mini"))
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(42)

t0 = time.perf_counter()
classes, x_train, y_train, x_val, y_val = load_flowers(args.data)
(x_train, y_train), (x_val, y_val) = [(torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(), torch.from_numpy(y))
                                      for x, y in ((x_train, y_train), (x_val, y_val))]
load_s = time.perf_counter() - t0

augment = v2.Compose([v2.RandomAffine(degrees=30, translate=(0.1, 0.1), scale=(0.8, 1.2), shear=10,
                                      interpolation=v2.InterpolationMode.BILINEAR), v2.RandomHorizontalFlip()])


class Doubled(torch.utils.data.Dataset):
    """Each training image with an augmented copy; the loader's batches are concatenated to [originals, copies]."""
    def __len__(self):
        return len(x_train)

    def __getitem__(self, i):
        return x_train[i], augment(x_train[i]), y_train[i]


def collate(items):
    x, xa, y = (torch.stack(t) for t in zip(*items))
    return torch.cat([x, xa]).float().div_(255), torch.cat([y, y])


loader = torch.utils.data.DataLoader(Doubled(), batch_size=32, shuffle=True, drop_last=True, collate_fn=collate,
                                     num_workers=args.workers, generator=torch.Generator().manual_seed(42))


class Block(nn.Module):
    def __init__(self, cin, planes, stride, first):
        super().__init__()
        self.bn1 = None if first else nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1)
        self.downsample = nn.Conv2d(cin, planes, 1, stride) if stride != 1 or cin != planes else None

    def forward(self, x):
        h = self.conv1(x if self.bn1 is None else F.relu(self.bn1(x)))
        h = self.conv2(F.relu(self.bn2(h)))
        return h + (x if self.downsample is None else self.downsample(x))


class PreActResNet18(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
        blocks, cin = [], 64
        for stage, planes in enumerate([64, 128, 256, 512]):
            for i in range(2):
                blocks.append(Block(cin, planes, 2 if stage > 0 and i == 0 else 1, first=stage == 0 and i == 0))
                cin = planes
        self.blocks = nn.Sequential(*blocks)
        self.bn_final = nn.BatchNorm2d(512)
        self.fc = nn.Linear(512, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, x):
        h = F.relu(self.bn_final(self.blocks(self.stem(x))))
        return self.fc(h.mean((2, 3)))


model = PreActResNet18(len(classes))
assert sum(p.numel() for p in model.parameters()) == 11_180_546
opt = torch.optim.SGD(model.parameters(), lr=0.1)
schedule = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
times, aucs, accs = [], [], []
for epoch in range(args.epochs):
    began = time.perf_counter()
    model.train()
    for x, y in loader:
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        for p in model.parameters():
            torch.nn.utils.clip_grad_norm_(p, 1.0)
        opt.step()
    schedule.step()
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(x_val[i:i + 32].float() / 255) for i in range(0, len(x_val), 32)])
    val_loss = F.cross_entropy(logits, y_val).item()
    accs.append((logits.argmax(1) == y_val).float().mean().item())
    aucs.append(float(roc_auc_score(y_val.numpy(), logits.softmax(1)[:, 1].numpy())))
    times.append(time.perf_counter() - began)
print(json.dumps({"first_epoch_s": times[0], "later_epoch_s": min(times[1:]) if len(times) > 1 else None,
                  "train_images_per_epoch": len(loader) * 64, "val_auc": aucs, "epoch_s": times, "val_accuracy": accs,
                  "val_loss_last": val_loss, "load_s": load_s, "total_s": time.perf_counter() - t0,
                  "torch": torch.__version__}))
