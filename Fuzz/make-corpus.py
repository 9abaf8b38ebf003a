#!/usr/bin/env python3
"""Writes the crafted seeds of Fuzz/corpus (Python's standard library only; run from the repository root):

- compare/: a run folder's config.json, history.csv, evaluation.json and split.json joined by NUL bytes (the layout
  the `compare` target splits), once as written by `make demo` and once with extreme and non-finite history values;
- pickle/: the state dict pickle of pth/pytorch_state.pth, a tensor expanded by zero strides over one element, and
  tuples nested past the unpickler's limit;
- pth/: the expanded tensor as a torch.save archive, and a compression bomb whose headers claim 16 bytes.

usage: python3 Fuzz/make-corpus.py [RUN_FOLDER]   (default runs/demo, written by `make demo`)
"""
import os
import struct
import sys
import zipfile
import zlib

corpus = "Fuzz/corpus"


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    print(f"{path}: {len(data)} bytes")


def compare_seeds(run):
    names = ["config.json", "history.csv", "evaluation.json", "split.json"]
    parts = [open(os.path.join(run, n), "rb").read() for n in names]
    write(f"{corpus}/compare/demo-run", b"\0".join(parts))
    header = parts[1].split(b"\n")[0]
    columns = header.count(b",") + 1
    extreme = [b"1.7e308", b"-1.7e308", b"nan", b"inf", b"4.9e-324", b"", b"-0"]
    rows = [b",".join(extreme[(r + c) % len(extreme)] for c in range(columns)) for r in range(4)]
    write(f"{corpus}/compare/extreme-history", b"\0".join([parts[0], b"\n".join([header] + rows) + b"\n", parts[2], parts[3]]))


def state_dict_pickle(size, stride, elements):
    """A protocol-2 pickle of {"w": tensor} over FloatStorage "0" holding `elements`, as torch.save writes it."""
    p = bytearray([0x80, 0x02, 0x7D, 0x28])  # PROTO 2, EMPTY_DICT, MARK

    def text(s):
        p.extend(b"X" + struct.pack("<I", len(s)) + s.encode())  # BINUNICODE

    def integer(v):
        p.extend(b"J" + struct.pack("<i", v))  # BININT

    text("w")
    p.extend(b"ctorch._utils\n_rebuild_tensor_v2\n(")  # GLOBAL, MARK
    p.extend(b"(")
    text("storage")
    p.extend(b"ctorch\nFloatStorage\n")
    text("0")
    text("cpu")
    integer(elements)
    p.extend(b"tQ")  # TUPLE, BINPERSID
    integer(0)
    p.extend(b"(")
    for d in size:
        integer(d)
    p.extend(b"t(")
    for s in stride:
        integer(s)
    p.extend(b"t\x89tRu.")  # False, TUPLE, REDUCE, SETITEMS, STOP
    return bytes(p)


def archive(pickle, storage, claimed=None):
    """A torch.save zip holding `pickle` and the storage "0"; `claimed` overwrites the storage's declared size."""
    path = "/tmp/petal-make-corpus.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("archive/data.pkl", pickle)
        z.writestr("archive/data/0", storage)
    data = bytearray(open(path, "rb").read())
    os.remove(path)
    if claimed is not None:
        name = b"archive/data/0"
        # Local header: size fields at +18 (compressed) and +22 (uncompressed); central header at +20 and +24.
        at = 0
        while (at := data.find(b"PK\x03\x04", at)) >= 0:
            if data[at + 30:at + 30 + len(name)] == name:
                data[at + 22:at + 26] = struct.pack("<I", claimed)
            at += 4
        at = 0
        while (at := data.find(b"PK\x01\x02", at)) >= 0:
            if data[at + 46:at + 46 + len(name)] == name:
                data[at + 24:at + 28] = struct.pack("<I", claimed)
            at += 4
    return bytes(data)


def pickle_seeds():
    with zipfile.ZipFile(f"{corpus}/pth/pytorch_state.pth") as z:
        name = next(n for n in z.namelist() if n.endswith("data.pkl"))
        write(f"{corpus}/pickle/pytorch_state.pkl", z.read(name))
    write(f"{corpus}/pickle/expanded.pkl", state_dict_pickle([65536, 65536, 16], [0, 0, 0], 1))
    write(f"{corpus}/pickle/honest.pkl", state_dict_pickle([2, 2], [2, 1], 4))
    write(f"{corpus}/pickle/nested.pkl", bytes([0x80, 0x02, 0x29]) + bytes([0x85]) * 100 + b".")  # () then TUPLE1 ×100


def pth_seeds():
    write(f"{corpus}/pth/expanded.pth", archive(state_dict_pickle([65536, 65536, 16], [0, 0, 0], 1), bytes(4)))
    write(f"{corpus}/pth/bomb.pth", archive(state_dict_pickle([4], [1], 4), bytes(8 << 20), claimed=16))


if __name__ == "__main__":
    compare_seeds(sys.argv[1] if len(sys.argv) > 1 else "runs/demo")
    pickle_seeds()
    pth_seeds()
