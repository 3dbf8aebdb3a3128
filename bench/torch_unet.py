#!/usr/bin/env python3
"""PyTorch comparison for scripts/gpu-check.sh (docs/gpu.md).

The noise predictors of docs/math.md section 15 (mlp, unet) written as PyTorch modules from
that description alone, loading adeis's safetensors weights file (F32 or F64 tensors,
hyperparameters and schedule in the metadata). Four commands:

  torch_unet.py --weights FILE eps OUT.txt
      eps of the network at a fixed input (x_i = sin(i + 1) / 2, z = one-hot class 3 or
      zeros, t = 0.5, batch 2) in float64 on the CPU, one number per line: the same input as
      adeis-gpu-parity --torch-eps, so the two can be compared digit by digit.
  torch_unet.py --weights FILE grad DIR [--steps 4] [--batch 2] [--dtype float64]
      on the CPU: the gradient of L = |x_0|^2 / 2 with respect to x_T, z and every parameter
      by autograd through this file's DPM-Solver-2M, x_T from torch.randn (seed 1), z one-hot
      class b mod cond_dim; writes DIR/problem.ini (the same problem for adeis: x_T.f64, z.f64,
      target.f64 of zeros) and DIR/torch-grad.f64 (dL/dx_T, dL/dz, dL/dtheta in adeis's
      canonical parameter order), for adeis-gpu-parity --torch-grad DIR --steps N.
  torch_unet.py --weights FILE bench [--device cuda] [--batch 64] [--steps 10,50,200]
                [--budget 150] [--tsv FILE]
      gradient of L = |x_0|^2 / 2 with respect to x_T, z and every parameter through
      DPM-Solver-2M (uniform-lambda grid) by autograd (every activation stored), float32;
      prints a Markdown table of time and peak device memory per N (and one TSV line per run
      to FILE). A run whose predicted time (the previous N's, scaled) would overrun the budget
      in seconds is not started and says so.
  torch_unet.py report ADEIS.tsv TORCH.tsv
      the comparison table (adeis-gpu-parity --bench-grad against bench) and the goals: adeis
      at least 1.5x faster than PyTorch eager, the adjoint's peak memory flat in N.

Needs torch (and nothing else).
"""
import argparse
import json
import math
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

DTYPES = {"F32": (torch.float32, 4), "F64": (torch.float64, 8)}


def load_safetensors(path):
    """(tensors by name, metadata): 8-byte little-endian header length, JSON header, data."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    base = 8 + n
    tensors = {}
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        dtype, size = DTYPES[info["dtype"]]
        begin, end = info["data_offsets"]
        raw = bytearray(blob[base + begin:base + end])
        t = torch.frombuffer(raw, dtype=dtype) if end > begin else torch.zeros(0, dtype=dtype)
        tensors[name] = t.reshape(info["shape"]).clone()
    return tensors, meta


def silu(u):
    return u * torch.sigmoid(u)


def time_features(t, e_dim, dtype):
    """e_k = cos(c w_k), e_{E/2+k} = sin(c w_k), c = 1000 t, w_k = exp(-ln(10000) k / (E/2))."""
    half = e_dim // 2
    k = torch.arange(half, dtype=torch.float64)
    w = torch.exp(-math.log(10000.0) * k / half)
    a = 1000.0 * float(t) * w
    return torch.cat([torch.cos(a), torch.sin(a)]).to(dtype)


class Embedding(nn.Module):
    """temb = time.fc2(silu(time.fc1(e))); emb = temb + cond(z) (cond_dim > 0)."""

    def __init__(self, e_dim, hidden, cond_dim):
        super().__init__()
        self.e_dim = e_dim
        self.time = nn.Module()
        self.time.fc1 = nn.Linear(e_dim, hidden)
        self.time.fc2 = nn.Linear(hidden, hidden)
        self.cond = nn.Linear(cond_dim, hidden) if cond_dim > 0 else None

    def forward(self, t, z, batch):
        e = time_features(t, self.e_dim, self.time.fc1.weight.dtype).to(self.time.fc1.weight.device)
        temb = self.time.fc2(silu(self.time.fc1(e))).expand(batch, -1)
        return temb + self.cond(z) if self.cond is not None else temb


class MLPBlock(nn.Module):
    def __init__(self, width, hidden):
        super().__init__()
        self.fc1 = nn.Linear(width, width)
        self.emb = nn.Linear(hidden, width)
        self.fc2 = nn.Linear(width, width)

    def forward(self, h, emb):
        u = self.fc1(silu(h)) + self.emb(silu(emb))
        return h + self.fc2(silu(u))


class MLP(nn.Module):
    def __init__(self, hp):
        super().__init__()
        self.embed = Embedding(hp["emb_dim"], hp["hidden"], hp["cond_dim"])
        setattr(self, "in", nn.Linear(hp["dim"], hp["width"]))
        self.blocks = nn.ModuleList(MLPBlock(hp["width"], hp["hidden"]) for _ in range(hp["depth"]))
        self.out = nn.Linear(hp["width"], hp["dim"])

    def forward(self, x, z, t):
        emb = self.embed(t, z, x.shape[0])
        h = getattr(self, "in")(x)
        for b in self.blocks:
            h = b(h, emb)
        return self.out(silu(h))


def conv3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, hidden, groups):
        super().__init__()
        self.gn1 = nn.GroupNorm(groups, cin, eps=1e-5)
        self.conv1 = conv3(cin, cout)
        self.emb = nn.Linear(hidden, cout)
        self.gn2 = nn.GroupNorm(groups, cout, eps=1e-5)
        self.conv2 = conv3(cout, cout)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, emb):
        h = self.conv1(silu(self.gn1(x)))
        h = h + self.emb(silu(emb))[:, :, None, None]
        h = self.conv2(silu(self.gn2(h)))
        return h + (self.skip(x) if self.skip is not None else x)


class Level(nn.Module):
    pass


class UNet(nn.Module):
    def __init__(self, hp):
        super().__init__()
        C, G, H = hp["base"], hp["groups"], hp["hidden"]
        self.shape = (hp["channels"], hp["size"], hp["size"])
        self.embed = Embedding(hp["emb_dim"], H, hp["cond_dim"])
        self.conv_in = conv3(hp["channels"], C)
        self.down0, self.down1, self.mid, self.up1, self.up0 = Level(), Level(), Level(), Level(), Level()
        self.down0.res = ResBlock(C, C, H, G)
        self.down0.down = conv3(C, C, 2)
        self.down1.res = ResBlock(C, 2 * C, H, G)
        self.down1.down = conv3(2 * C, 2 * C, 2)
        self.mid.res1 = ResBlock(2 * C, 2 * C, H, G)
        self.mid.res2 = ResBlock(2 * C, 2 * C, H, G)
        self.up1.up = conv3(2 * C, 2 * C)
        self.up1.res = ResBlock(4 * C, 2 * C, H, G)
        self.up0.up = conv3(2 * C, 2 * C)
        self.up0.res = ResBlock(3 * C, C, H, G)
        self.gn_out = nn.GroupNorm(G, C, eps=1e-5)
        self.conv_out = conv3(C, hp["channels"])

    def forward(self, x, z, t):
        B = x.shape[0]
        x = x.reshape(B, *self.shape)
        emb = self.embed(t, z, B)
        h0 = self.conv_in(x)
        h1 = self.down0.res(h0, emb)
        d1 = self.down0.down(h1)
        h2 = self.down1.res(d1, emb)
        d2 = self.down1.down(h2)
        m = self.mid.res2(self.mid.res1(d2, emb), emb)
        up = lambda conv, v: conv(F.interpolate(v, scale_factor=2, mode="nearest"))
        u2 = self.up1.res(torch.cat([up(self.up1.up, m), h2], dim=1), emb)
        u1 = self.up0.res(torch.cat([up(self.up0.up, u2), h1], dim=1), emb)
        return self.conv_out(silu(self.gn_out(u1))).reshape(B, -1)


HYPER = {"mlp": ["dim", "width", "depth", "emb_dim", "hidden", "cond_dim"],
         "unet": ["channels", "size", "base", "groups", "emb_dim", "hidden", "cond_dim"]}


def param_name(name):
    """adeis's names (time.fc1.weight, cond.bias, ...) to this module's (embed.time...)."""
    if name.startswith("time.") or name.startswith("cond."):
        return "embed." + name
    return name


def build(path, dtype):
    """(module, hyperparameters, metadata, adeis parameter names in canonical order: the order
    of the tensors' data in the file, which adeis writes in canonical order)."""
    tensors, meta = load_safetensors(path)
    arch = meta["adeis.arch"]
    hp = {k: int(meta["adeis." + k]) for k in HYPER[arch]}
    net = (MLP if arch == "mlp" else UNet)(hp).to(dtype)
    state = {param_name(k): v.to(dtype) for k, v in tensors.items()}
    missing, unexpected = net.load_state_dict(state, strict=False)
    if missing or unexpected:
        sys.exit(f"{path}: tensors missing {missing}, unexpected {unexpected}")
    return net, hp, meta, list(tensors)


# ---- schedules and DPM-Solver-2M (docs/math.md sections 1, 3) ----

def schedule(name):
    """(alpha(t), sigma(t), T, t_end, t(lambda)) as Python floats."""
    if name == "vp-linear":
        b0, b1 = 0.1, 20.0
        la = lambda t: -(b1 - b0) * t * t / 4 - b0 * t / 2
        tl = lambda lam: (-b0 / 2 + math.sqrt(b0 * b0 / 4 - (b1 - b0) * (-math.log1p(math.exp(-2 * lam)) / 2))) / ((b1 - b0) / 2)
        T = 1.0
    elif name == "vp-cosine":
        s = 0.008
        la = lambda t: math.log(math.cos(math.pi / 2 * (t + s) / (1 + s)) / math.cos(math.pi / 2 * s / (1 + s)))
        tl = lambda lam: 2 * (1 + s) / math.pi * math.acos(math.exp(-math.log1p(math.exp(-2 * lam)) / 2 + math.log(math.cos(math.pi * s / (2 * (1 + s)))))) - s
        T = 0.9946
    else:
        sys.exit(f"schedule {name}: only vp-linear and vp-cosine here")
    alpha = lambda t: math.exp(la(t))
    sigma = lambda t: math.sqrt(-math.expm1(2 * la(t)))
    return alpha, sigma, T, 1e-3, tl


def dpm2m(net, x, z, steps, sched):
    """x_0 from x_T through DPM-Solver-2M on the uniform-lambda grid (first step dpm-1)."""
    alpha, sigma, T, t_end, tl = sched
    lam = lambda t: math.log(alpha(t) / sigma(t))
    l0, l1 = lam(T), lam(t_end)
    lams = [l0 + (l1 - l0) * i / steps for i in range(steps + 1)]
    ts = [T] + [tl(l) for l in lams[1:-1]] + [t_end]
    eps_prev, h_prev = None, None
    for i in range(steps):
        s, t = ts[i], ts[i + 1]
        h = lams[i + 1] - lams[i]
        eps = net(x, z, s)
        d = eps if eps_prev is None else eps + (eps - eps_prev) / (2 * (h_prev / h))
        x = (alpha(t) / alpha(s)) * x - sigma(t) * math.expm1(h) * d
        eps_prev, h_prev = eps, h
    return x


def fixed_input(hp, batch, dtype):
    dim = hp["dim"] if "dim" in hp else hp["channels"] * hp["size"] ** 2
    x = torch.sin(torch.arange(1, batch * dim + 1, dtype=torch.float64)).reshape(batch, dim) / 2
    z = torch.zeros(batch, max(hp["cond_dim"], 1), dtype=torch.float64)
    if hp["cond_dim"] > 3:
        z[:, 3] = 1
    return x.to(dtype), z[:, :hp["cond_dim"]].to(dtype)


def cmd_eps(args):
    net, hp, _, _ = build(args.weights, torch.float64)
    x, z = fixed_input(hp, 2, torch.float64)
    with torch.no_grad():
        eps = net(x, z if hp["cond_dim"] else None, 0.5)
    with open(args.out, "w") as f:
        for v in eps.reshape(-1).tolist():
            f.write(f"{v:.17g}\n")


def state_dim(hp):
    return hp["dim"] if "dim" in hp else hp["channels"] * hp["size"] ** 2


def one_hot(batch, cond_dim, dtype, device="cpu"):
    z = torch.zeros(batch, cond_dim, dtype=dtype, device=device)
    if cond_dim:
        z[torch.arange(batch), torch.arange(batch) % cond_dim] = 1
    return z


def gradient(net, hp, sched, xT, z, steps):
    """dL/dx_T, dL/dz (None without conditioning), dL/dtheta of L = |x_0|^2 / 2 by autograd
    through dpm2m; the parameters' gradients are left in their .grad."""
    xT = xT.detach().requires_grad_(True)
    zz = z.detach().requires_grad_(True) if hp["cond_dim"] else None
    net.zero_grad(set_to_none=True)
    x0 = dpm2m(net, xT, zz, steps, sched)
    loss = 0.5 * (x0 * x0).sum()
    loss.backward()
    return xT.grad, zz.grad if zz is not None else None


def write_f64(path, t):
    """raw little-endian float64 (adeis's .f64 files), without numpy"""
    import array
    a = array.array("d", t.detach().to("cpu", torch.float64).reshape(-1).tolist())
    if sys.byteorder != "little":
        a.byteswap()
    with open(path, "wb") as f:
        f.write(a.tobytes())


def cmd_grad(args):
    import os
    dtype = {"float64": torch.float64, "float32": torch.float32}[args.dtype]
    net, hp, meta, names = build(args.weights, dtype)
    sched_name = meta.get("adeis.schedule", "vp-linear")
    sched = schedule(sched_name)
    gen = torch.Generator(device="cpu").manual_seed(1)
    xT = torch.randn(args.batch, state_dim(hp), generator=gen, dtype=torch.float64)
    z = one_hot(args.batch, hp["cond_dim"], torch.float64)
    gx, gz = gradient(net, hp, sched, xT.to(dtype), z.to(dtype), args.steps)
    parts = [gx.reshape(-1)]
    if gz is not None:
        parts.append(gz.reshape(-1))
    for name in names:
        g = net.get_parameter(param_name(name)).grad
        parts.append(g.reshape(-1) if g is not None else torch.zeros(net.get_parameter(param_name(name)).numel(), dtype=dtype))
    os.makedirs(args.dir, exist_ok=True)
    write_f64(os.path.join(args.dir, "torch-grad.f64"), torch.cat([p.to(torch.float64) for p in parts]))
    write_f64(os.path.join(args.dir, "x_T.f64"), xT.to(dtype))
    write_f64(os.path.join(args.dir, "target.f64"), torch.zeros(xT.numel(), dtype=torch.float64))
    if hp["cond_dim"]:
        write_f64(os.path.join(args.dir, "z.f64"), z)
    with open(os.path.join(args.dir, "problem.ini"), "w") as f:
        f.write("; written by bench/torch_unet.py grad (docs/gpu.md)\n[problem]\ntype = network\n"
                f"weights = {os.path.abspath(args.weights)}\nbatch = {args.batch}\n"
                + ("z = @z.f64\n" if hp["cond_dim"] else "")
                + f"\n[schedule]\nname = {sched_name}\nt_end = 1e-3\nT = {sched[2]!r}\n\n"
                "[loss]\ntype = quadratic\ntarget = @target.f64\n\n[start]\nx_T = @x_T.f64\n")


def cmd_bench(args):
    dev = torch.device(args.device)
    net, hp, meta, _ = build(args.weights, torch.float32)
    net = net.to(dev)
    sched = schedule(meta.get("adeis.schedule", "vp-linear"))
    dim = state_dim(hp)
    tsv = open(args.tsv, "w") if args.tsv else None
    cuda = dev.type == "cuda"

    def one(steps):
        gen = torch.Generator(device="cpu").manual_seed(1)
        xT = torch.randn(args.batch, dim, generator=gen).to(dev)
        z = one_hot(args.batch, hp["cond_dim"], torch.float32, dev)
        if cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        t0 = time.perf_counter()
        gradient(net, hp, sched, xT, z, steps)
        if cuda:
            torch.cuda.synchronize()
        dt = time.perf_counter() - t0
        alloc = torch.cuda.max_memory_allocated() / 2**20 if cuda else float("nan")
        resv = torch.cuda.max_memory_reserved() / 2**20 if cuda else float("nan")
        net.zero_grad(set_to_none=True)
        return dt, alloc, resv

    start = time.perf_counter()
    one(2)  # warm-up: cuDNN's algorithm choice, the allocator's first blocks
    print(f"Batch {args.batch}, float32, {sum(p.numel() for p in net.parameters())} parameters, "
          f"device {torch.cuda.get_device_name() if cuda else 'cpu'}, torch {torch.__version__}; "
          "time of sampling and backward, peak memory allocated and reserved "
          "(torch.cuda.max_memory_allocated / max_memory_reserved).\n")
    print("| method | N | time (s) | peak allocated (MiB) | peak reserved (MiB) |")
    print("|---|---|---|---|---|")
    last = None
    label = "PyTorch autograd, dpm-2m (store-all)"
    for steps in [int(s) for s in args.steps.split(",")]:
        left = args.budget - (time.perf_counter() - start)
        guess = 1.2 * last[1] * steps / last[0] if last else 0.0
        if guess > left:
            print(f"| {label} | {steps} | not run: predicted {guess:.0f} s, {left:.0f} s of the budget left | | |")
            status, dt, alloc, resv = "not run (budget)", float("nan"), float("nan"), float("nan")
        else:
            try:
                dt, alloc, resv = one(steps)
                status = "ok"
                last = (steps, dt)
                print(f"| {label} | {steps} | {dt:.3f} | {alloc:.1f} | {resv:.0f} |")
            except RuntimeError as e:  # torch.cuda.OutOfMemoryError is one
                status, dt, alloc, resv = "failed", float("nan"), float("nan"), float("nan")
                print(f"| {label} | {steps} | failed: {str(e).splitlines()[0][:120]} | | |")
                if cuda:
                    torch.cuda.empty_cache()
        sys.stdout.flush()
        if tsv:
            tsv.write(f"torch-autograd\t{steps}\t{args.batch}\t{dt:.6f}\t{alloc:.3f}\t{resv:.3f}\t{steps}\t{steps}\t{status}\n")
            tsv.flush()


def read_tsv(path):
    rows = []
    with open(path) as f:
        for line in f:
            c = line.rstrip("\n").split("\t")
            if len(c) >= 9:
                rows.append({"method": c[0], "N": int(c[1]), "batch": int(c[2]), "s": float(c[3]),
                             "alloc": float(c[4]), "device": float(c[5]), "status": c[8]})
    return rows


def cmd_report(args):
    ours, theirs = read_tsv(args.adeis), read_tsv(args.torch)
    torch_s = {r["N"]: r["s"] for r in theirs if r["status"] == "ok"}
    torch_m = {r["N"]: r["alloc"] for r in theirs if r["status"] == "ok"}
    print("| method | N | time (s) | PyTorch time / time | >= 1.5x | peak allocated (MiB) | "
          "PyTorch peak / peak |")
    print("|---|---|---|---|---|---|---|")
    for r in sorted(theirs, key=lambda r: r["N"]):
        t = f"{r['s']:.3f}" if r["status"] == "ok" else r["status"]
        m = f"{r['alloc']:.1f}" if r["status"] == "ok" else ""
        print(f"| PyTorch autograd (store-all) | {r['N']} | {t} | 1 | | {m} | 1 |")
    speed = {}
    for r in ours:
        if r["status"] != "ok":
            print(f"| adeis {r['method']} | {r['N']} | {r['status']} | | | | |")
            continue
        ts = torch_s.get(r["N"])
        ratio = ts / r["s"] if ts and r["s"] > 0 else float("nan")
        goal = "" if ratio != ratio else ("yes" if ratio >= 1.5 else "no")
        mr = torch_m[r["N"]] / r["alloc"] if r["N"] in torch_m and r["alloc"] > 0 else float("nan")
        speed.setdefault(r["method"], []).append((r["N"], ratio))
        print(f"| adeis {r['method']} | {r['N']} | {r['s']:.3f} | {ratio:.2f} | {goal} | "
              f"{r['alloc']:.1f} | {mr:.2f} |")
    print()
    print("Goals (the issue's): adeis at least 1.5x faster than PyTorch eager at every N; the "
          "adjoint's peak memory flat in N (largest peak within 10% of the smallest).\n")
    all_n = sorted({r["N"] for r in theirs} | {r["N"] for r in ours})
    methods = list(dict.fromkeys(r["method"] for r in ours))
    for method in methods:
        got = {n: x for n, x in speed.get(method, []) if x == x}
        missing = [n for n in all_n if n not in got]
        desc = ", ".join(f"N={n}: {got[n]:.2f}x" for n in sorted(got)) or "nothing measured"
        if not got:
            verdict = "not decided"
        elif any(x < 1.5 for x in got.values()):
            verdict = "does not hold"
        elif missing:
            verdict = "holds where measured"
        else:
            verdict = "holds"
        extra = f" (not measured at N={', '.join(map(str, missing))})" if missing else ""
        print(f"- speed, {method}: {desc}: {verdict}{extra}")
    for method in methods:
        peaks = [(r["N"], r["alloc"]) for r in ours
                 if r["method"] == method and r["status"] == "ok" and r["alloc"] == r["alloc"]]
        if len(peaks) < 2:
            print(f"- memory, {method}: peak memory measured at fewer than two N: not decided")
            continue
        lo, hi = min(p for _, p in peaks), max(p for _, p in peaks)
        desc = ", ".join(f"N={n}: {p:.1f} MiB" for n, p in peaks)
        missing = [n for n in all_n if n not in {n for n, _ in peaks}]
        extra = f" (not measured at N={', '.join(map(str, missing))})" if missing else ""
        print(f"- memory, {method}: {desc}: max/min {hi / lo:.3f}: "
              f"{'flat' if hi <= 1.1 * lo else 'not flat'}{extra}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--weights")
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("eps")
    e.add_argument("out")
    g = sub.add_parser("grad")
    g.add_argument("dir")
    g.add_argument("--steps", type=int, default=4)
    g.add_argument("--batch", type=int, default=2)
    g.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    b = sub.add_parser("bench")
    b.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    b.add_argument("--batch", type=int, default=64)
    b.add_argument("--steps", default="10,50,200")
    b.add_argument("--budget", type=float, default=150.0)
    b.add_argument("--tsv")
    r = sub.add_parser("report")
    r.add_argument("adeis")
    r.add_argument("torch")
    args = p.parse_args()
    if args.cmd != "report" and not args.weights:
        p.error("--weights FILE is needed")
    {"eps": cmd_eps, "grad": cmd_grad, "bench": cmd_bench, "report": cmd_report}[args.cmd](args)


if __name__ == "__main__":
    main()
