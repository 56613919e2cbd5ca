#!/usr/bin/env python3
"""An independent IP-CAE / CAE classification run in plain PyTorch, straight from the method as docs/method.md states it, on a dataset
exported by `node scripts/export-prepared.mjs <name> <dir>` (the same splits and scaling ipcae uses).
Used to check statements about the method that do not depend on ipcae's code: e.g. how often IP-CAE
ends with duplicate selections on COIL-20.

  /usr/bin/python3 bench/reference_run.py --data /tmp/coil --k 50 --batch-size 16 --seeds 11,22,33

Prints one line per seed (best epoch, test accuracy at the best-validation parameters, unique % at the
best epoch and at the end) and a summary line.

--follow <dir> instead replays a trajectory recorded by `node scripts/trajectory.mjs`: the same model
from ipcae's initial parameters, with ipcae's Gumbel noise (its counter-based generator, re-derived
below from native/core/selection/selection.h), in ipcae's dtype, trained here with autograd and torch.optim.Adam.
It prints, epoch by epoch, how far this run is from ipcae's (losses, hard selection, parameters).

  node scripts/trajectory.mjs --data /tmp/coil --seed 77 --dtype float64 --out /tmp/traj77
  /usr/bin/python3 bench/reference_run.py --follow /tmp/traj77
"""
import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def load(d):
    meta = json.load(open(os.path.join(d, 'meta.json')))
    D = meta['D']
    out = {}
    for s in ('train', 'val', 'test'):
        x = np.fromfile(os.path.join(d, f'{s}_x.f32'), dtype='<f4').reshape(-1, D)
        y = np.fromfile(os.path.join(d, f'{s}_y.i32'), dtype='<i4').astype(np.int64)
        out[s] = (torch.from_numpy(x.copy()), torch.from_numpy(y))
    return meta, out


class Selector(nn.Module):
    def __init__(self, d, k, ip):
        super().__init__()
        self.ip = ip
        if ip:
            self.psi = nn.Parameter(torch.randn(k, d))
            self.lin = nn.Linear(d, d)  # L = Psi W^T + b, W and b U(-1/sqrt(P), 1/sqrt(P))
        else:
            w = torch.rand(k, d)
            self.L = nn.Parameter(w / w.sum(1, keepdim=True))

    def logits(self):
        return self.lin(self.psi) if self.ip else self.L

    def forward(self, x, t):
        L = self.logits()
        u = torch.rand(x.shape[0], *L.shape, device=x.device).clamp_(1e-10, 1 - 1e-7)
        g = -torch.log(-torch.log(u))  # per-sample Gumbel noise [B,K,D]
        m = torch.softmax((L.unsqueeze(0) + g) / t, dim=-1)
        return torch.einsum('bkd,bd->bk', m, x)

    def hard_idx(self):
        return self.logits().argmax(-1)

    def hard(self, x):
        return x[:, self.hard_idx()]


def run(meta, data, k, bs, epochs, seed, ip):
    torch.manual_seed(seed)
    (xtr, ytr), (xva, yva), (xte, yte) = data['train'], data['val'], data['test']
    D, C = meta['D'], meta['classes']
    sel = Selector(D, k, ip)
    dec = nn.Sequential(nn.Linear(k, 200), nn.LayerNorm(200), nn.LeakyReLU(0.2), nn.Linear(200, C))
    opt = torch.optim.Adam(list(sel.parameters()) + list(dec.parameters()), lr=1e-3)
    best, best_state, best_epoch, up_best = float('inf'), None, -1, 0.0
    steps = (len(xtr) + bs - 1) // bs
    for e in range(epochs):
        t = 10.0 * (0.01 / 10.0) ** (e / epochs)
        for i in range(steps):
            xb, yb = xtr[i * bs:(i + 1) * bs], ytr[i * bs:(i + 1) * bs]
            loss = F.cross_entropy(dec(sel(xb, t)), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            idx = sel.hard_idx()
            vl = F.cross_entropy(dec(xva[:, idx]), yva).item()
            if vl < best:
                best, best_epoch = vl, e
                best_state = ([p.clone() for p in sel.parameters()], [p.clone() for p in dec.parameters()])
                up_best = 100.0 * len(set(idx.tolist())) / k
    up_end = 100.0 * len(set(sel.hard_idx().tolist())) / k
    with torch.no_grad():
        for p, v in zip(sel.parameters(), best_state[0]):
            p.copy_(v)
        for p, v in zip(dec.parameters(), best_state[1]):
            p.copy_(v)
        acc = (dec(xte[:, sel.hard_idx()]).argmax(-1) == yte).float().mean().item()
    return best_epoch, acc, up_best, up_end


# ---- ipcae's noise (native/core/selection/selection.h): keys from splitmix64, element hash = lowbias32 twice ----
M64 = (1 << 64) - 1


def splitmix64(x):
    x = (x + 0x9e3779b97f4a7c15) & M64
    x = ((x ^ (x >> 30)) * 0xbf58476d1ce4e5b9) & M64
    x = ((x ^ (x >> 27)) * 0x94d049bb133111eb) & M64
    return x ^ (x >> 31)


def lowbias32(x):
    x = x ^ (x >> np.uint32(16))
    x = x * np.uint32(0x7feb352d)
    x = x ^ (x >> np.uint32(15))
    x = x * np.uint32(0x846ca68b)
    return x ^ (x >> np.uint32(16))


def ipcae_gumbel(seed, step, B, K, D, dtype):
    z = splitmix64(splitmix64(seed) ^ (1 << 56) ^ step)  # stream 1 = Gumbel, counter = global step
    k0, k1 = np.uint32(z & 0xFFFFFFFF), np.uint32(z >> 32)
    h = lowbias32(lowbias32(np.arange(B * K * D, dtype=np.uint32) ^ k0) + k1)
    npd = np.float64 if dtype == torch.float64 else np.float32
    u = ((h >> np.uint32(9)).astype(npd) + npd(0.5)) * npd(2.0 ** -23)
    return torch.from_numpy(-np.log(-np.log(u))).view(B, K, D)


def follow(d, threads):
    tr = json.load(open(os.path.join(d, 'trajectory.json')))
    meta, data = load(tr['data'])
    dtype = torch.float64 if tr['dtype'] == 'float64' else torch.float32
    (xtr, ytr), (xva, yva) = data['train'], data['val']
    xtr, xva = xtr.to(dtype), xva.to(dtype)

    def read_params(name):
        flat = torch.from_numpy(np.fromfile(os.path.join(d, name), dtype='<f8'))
        out, off = {}, 0
        for p in tr['layout']:
            n = int(np.prod(p['shape']))
            out[p['name']] = flat[off:off + n].view(*p['shape']).to(dtype)
            off += n
        return out

    P = {k: v.clone().requires_grad_(True) for k, v in read_params('init.f64').items()}
    n_hidden = sum(1 for k in P if k.endswith('.norm.weight'))

    def logits():
        if 'selector.logits' in P:
            return P['selector.logits']
        return P['selector.psi'] @ P['selector.weight_t'] + P.get('selector.bias', 0)

    def decode(u):
        h = u
        for i in range(n_hidden):
            h = h @ P[f'decoder.{i}.weight_t'] + P[f'decoder.{i}.bias']
            w, b = P[f'decoder.{i}.norm.weight'], P[f'decoder.{i}.norm.bias']
            h = F.leaky_relu(F.layer_norm(h, (h.shape[-1],), w.view(-1), b.view(-1), 1e-5), 0.2)
        return h @ P['decoder.out.weight_t'] + P['decoder.out.bias']

    opt = torch.optim.Adam(list(P.values()), lr=1e-3)
    K, bs, E, seed = tr['k'], tr['batchSize'], tr['epochs'], tr['seed']
    D = meta['D']
    steps, step = len(xtr) // bs, 0
    kept = set(tr['kept'])
    sel_mismatch_first, worst_param = None, 0.0
    print(f'following ipcae seed {seed} ({tr["dtype"]}, {tr["until"]} of {E} epochs) from {d}')
    print('epoch  |train loss diff| |val loss diff|  selection  unique(ref/ipcae)  max|param diff|/max|param|')
    for e in range(tr['until']):
        rec = tr['epochsRecord'][e]
        t = rec['temperature']
        lsum = 0.0
        for i in range(steps):
            xb, yb = xtr[i * bs:(i + 1) * bs], ytr[i * bs:(i + 1) * bs]
            g = ipcae_gumbel(seed, step, bs, K, D, dtype)
            m = torch.softmax((logits().unsqueeze(0) + g) / t, dim=-1)
            loss = F.cross_entropy(decode(torch.einsum('bkd,bd->bk', m, xb)), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            lsum += loss.item()
            step += 1
        with torch.no_grad():
            idx = logits().argmax(-1)
            vl = F.cross_entropy(decode(xva[:, idx]), yva).item()
            same = idx.tolist() == rec['selected']
            if not same and sel_mismatch_first is None:
                sel_mismatch_first = e
            up = 100.0 * len(set(idx.tolist())) / K
            pd = ''
            if e + 1 in kept:
                ref = read_params(f'params-{e + 1}.f64')
                num = max((P[k] - ref[k]).abs().max().item() for k in P)
                den = max(ref[k].abs().max().item() for k in P)
                worst_param = max(worst_param, num / den)
                pd = f'{num / den:.2e}'
        print(f'{e:5d}  {abs(lsum / steps - rec["trainLoss"]):.2e}  {abs(vl - rec["valLoss"]):.2e}  '
              f'{"same" if same else "DIFFERENT"}  {up:.0f}/{rec["uniquePct"]:.0f}  {pd}', flush=True)
    print(f'summary: selections {"identical at every epoch" if sel_mismatch_first is None else f"first differ at epoch {sel_mismatch_first}"}; '
          f'largest relative parameter difference at the kept epochs {worst_param:.2e}; torch {torch.__version__}')


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--data')
    p.add_argument('--k', type=int, default=50)
    p.add_argument('--batch-size', type=int, default=16)
    p.add_argument('--epochs', type=int, default=200)
    p.add_argument('--seeds', default='11,22,33,44,55,66,77,88,99,1010')
    p.add_argument('--method', default='ip-cae', choices=['ip-cae', 'cae'])
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--follow', help='replay a trajectory recorded by scripts/trajectory.mjs')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.follow:
        return follow(a.follow, a.threads)
    if not a.data:
        p.error('--data is required (or --follow)')
    meta, data = load(a.data)
    accs, dup_seeds = [], 0
    for s in [int(x) for x in a.seeds.split(',')]:
        t0 = time.perf_counter()
        be, acc, upb, upe = run(meta, data, a.k, a.batch_size, a.epochs, s, a.method == 'ip-cae')
        accs.append(100 * acc)
        dup_seeds += upb < 100
        print(f'seed {s}: best epoch {be}, test acc {100 * acc:.2f} %, unique {upb:.0f} % at best, {upe:.0f} % at end ({time.perf_counter() - t0:.0f} s)', flush=True)
    a_ = np.array(accs)
    print(f'reference {a.method} on {meta["name"]}: {a_.mean():.2f} ± {a_.std(ddof=1) if len(a_) > 1 else 0:.2f} % over {len(a_)} seeds; '
          f'{dup_seeds} seed(s) with duplicates at the best epoch; torch {torch.__version__}')


if __name__ == '__main__':
    main()
