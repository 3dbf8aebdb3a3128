#!/usr/bin/python3
"""PyTorch CPU against adeis on the same U-Net (make bench, networks section).

A PyTorch module written from the architecture in docs/networks.md (docs/math.md section 15)
loads an adeis weights file (safetensors, read here with json and numpy only), checks that it
gives the same eps and VJPs (x, z, theta) as adeis on the same input (the outputs adeis wrote
into check.safetensors: `adeis-bench-nets export DIR B`), then times eps + VJP (autograd) at
batch B in float32 and float64, interleaved, CPU seconds of the process (time.process_time),
median of REPS.

usage: torch_nets.py WEIGHTS CHECK [--threads N] [--reps R] [--batch B] [--no-check]
Prints `key value ...` lines that bench/nets.sh turns into the table.
"""
import argparse
import json
import math
import os
import struct
import sys
import time

import numpy as np


def read_safetensors(path):
    """{name: numpy array} and the metadata of a safetensors file."""
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    data = buf[8 + n:]
    out = {}
    for name, e in header.items():
        dt = {"F32": "<f4", "F64": "<f8"}[e["dtype"]]
        b, end = e["data_offsets"]
        out[name] = np.frombuffer(data[b:end], dtype=dt).reshape(e["shape"])
    return out, meta


def build(torch, meta):
    nn = torch.nn
    F = torch.nn.functional
    C = int(meta["adeis.base"])
    G = int(meta["adeis.groups"])
    E = int(meta["adeis.emb_dim"])
    H = int(meta["adeis.hidden"])
    cin = int(meta["adeis.channels"])
    cd = int(meta["adeis.cond_dim"])

    class ResBlock(nn.Module):
        def __init__(self, a, b):
            super().__init__()
            self.gn1 = nn.GroupNorm(G, a, eps=1e-5)
            self.conv1 = nn.Conv2d(a, b, 3, padding=1)
            self.emb = nn.Linear(H, b)
            self.gn2 = nn.GroupNorm(G, b, eps=1e-5)
            self.conv2 = nn.Conv2d(b, b, 3, padding=1)
            self.skip = nn.Conv2d(a, b, 1) if a != b else None

        def forward(self, x, emb):
            h = self.conv1(F.silu(self.gn1(x)))
            h = h + self.emb(F.silu(emb))[:, :, None, None]
            h = self.conv2(F.silu(self.gn2(h)))
            return h + (self.skip(x) if self.skip is not None else x)

    class Down(nn.Module):
        def __init__(self, a, b):
            super().__init__()
            self.res = ResBlock(a, b)
            self.down = nn.Conv2d(b, b, 3, stride=2, padding=1)

    class Up(nn.Module):
        def __init__(self, c_up, c_skip, b):
            super().__init__()
            self.up = nn.Conv2d(c_up, c_up, 3, padding=1)
            self.res = ResBlock(c_up + c_skip, b)

    class Mid(nn.Module):
        def __init__(self):
            super().__init__()
            self.res1 = ResBlock(2 * C, 2 * C)
            self.res2 = ResBlock(2 * C, 2 * C)

    class Time(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(E, H)
            self.fc2 = nn.Linear(H, H)

    class UNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.time = Time()
            self.cond = nn.Linear(cd, H) if cd > 0 else None
            self.conv_in = nn.Conv2d(cin, C, 3, padding=1)
            self.down0 = Down(C, C)
            self.down1 = Down(C, 2 * C)
            self.mid = Mid()
            self.up1 = Up(2 * C, 2 * C, 2 * C)
            self.up0 = Up(2 * C, C, C)
            self.gn_out = nn.GroupNorm(G, C, eps=1e-5)
            self.conv_out = nn.Conv2d(C, cin, 3, padding=1)

        def embed(self, t, dtype):
            # the sinusoidal features in double arithmetic, as adeis' float and double tables
            half = E // 2
            c = 1000.0 * t
            w = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float64) / half)
            e = torch.cat([torch.cos(c * w), torch.sin(c * w)]).to(dtype)
            return self.time.fc2(F.silu(self.time.fc1(e)))

        def forward(self, x, z, t):
            emb = self.embed(t, x.dtype)[None, :]
            if self.cond is not None:
                emb = emb + self.cond(z)
            up = lambda m, h: m.up(F.interpolate(h, scale_factor=2, mode="nearest"))
            h0 = self.conv_in(x)
            h1 = self.down0.res(h0, emb)
            d1 = self.down0.down(h1)
            h2 = self.down1.res(d1, emb)
            d2 = self.down1.down(h2)
            m = self.mid.res2(self.mid.res1(d2, emb), emb)
            u2 = self.up1.res(torch.cat([up(self.up1, m), h2], 1), emb)
            u1 = self.up0.res(torch.cat([up(self.up0, u2), h1], 1), emb)
            return self.conv_out(F.silu(self.gn_out(u1)))

    return UNet()


def eps_vjp(torch, model, x, z, t, v):
    """eps and the VJPs of v for x, z and every parameter (autograd)."""
    x = x.detach().requires_grad_(True)
    z = z.detach().requires_grad_(True)
    params = list(model.parameters())
    eps = model(x, z, t)
    grads = torch.autograd.grad(eps, [x, z] + params, grad_outputs=v)
    return eps.detach(), grads[0], grads[1], dict(zip([n for n, _ in model.named_parameters()],
                                                      grads[2:]))


def max_rel(a, b):
    """max |a - b| / max |b| (b: adeis)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("weights")
    ap.add_argument("check")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--no-check", action="store_true", help="timing only")
    args = ap.parse_args()
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)  # before torch loads OpenBLAS
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import torch
    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(args.threads)
    except RuntimeError:
        pass
    print("torch", torch.__version__, "threads", torch.get_num_threads())

    weights, meta = read_safetensors(args.weights)
    ref, _ = read_safetensors(args.check)
    t = float(ref["t"][0])
    for dtype, tag in () if args.no_check else ((torch.float64, "f64"), (torch.float32, "f32")):
        model = build(torch, meta).to(dtype)
        model.load_state_dict({k: torch.from_numpy(np.array(a)).to(dtype) for k, a in weights.items()},
                              strict=True)
        x, z, v = (torch.from_numpy(np.array(ref[k])).to(dtype) for k in ("x", "z", "v"))
        eps, jx, jz, jt = eps_vjp(torch, model, x, z, t, v)
        names = [n for n, _ in model.named_parameters()]
        jt_all = np.concatenate([jt[n].numpy().ravel() for n in names])
        ref_all = np.concatenate([ref[tag + ".jtheta." + n].ravel() for n in names])
        d = [max_rel(eps.numpy(), ref[tag + ".eps"]), max_rel(jx.numpy(), ref[tag + ".jx"]),
             max_rel(jz.numpy(), ref[tag + ".jz"]), max_rel(jt_all, ref_all)]
        print("check", tag, "eps", d[0], "jx", d[1], "jz", d[2], "jtheta", d[3])
        # a few hundred roundings per output at most: a different computation is far above
        bound = 1e-11 if dtype == torch.float64 else 1e-3
        if max(d) > bound:
            sys.exit("torch_nets.py: PyTorch and adeis disagree (%s: %g > %g)" % (tag, max(d), bound))

    # timing: batch B, the first B rows of the check inputs repeated as needed
    models, inputs = {}, {}
    B = args.batch
    for dtype in (torch.float32, torch.float64):
        m = build(torch, meta).to(dtype)
        m.load_state_dict({k: torch.from_numpy(np.array(a)).to(dtype) for k, a in weights.items()})
        models[dtype] = m
        idx = np.arange(B) % ref["x"].shape[0]
        inputs[dtype] = tuple(torch.from_numpy(np.array(ref[k])[idx]).to(dtype)
                              for k in ("x", "z", "v"))
    times = {torch.float32: [], torch.float64: []}
    for dtype in times:  # warm-up
        x, z, v = inputs[dtype]
        eps_vjp(torch, models[dtype], x, z, t, v)
    for _ in range(args.reps):
        for dtype in times:
            x, z, v = inputs[dtype]
            t0 = time.process_time()
            eps_vjp(torch, models[dtype], x, z, t, v)
            times[dtype].append(time.process_time() - t0)
    for dtype, tag in ((torch.float32, "float"), (torch.float64, "double")):
        print("time", tag, "batch", B, "median", float(np.median(times[dtype])),
              "all", " ".join("%.4f" % s for s in times[dtype]))


if __name__ == "__main__":
    sys.exit(main())
