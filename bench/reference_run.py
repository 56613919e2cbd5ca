#!/usr/bin/env python3
"""An independent IP-CAE / CAE classification run in plain PyTorch, straight from SPEC.md, on a dataset
exported by `node scripts/export-prepared.mjs <name> <dir>` (the same splits and scaling ipcae uses).
Used to check statements about the method that do not depend on ipcae's code: e.g. how often IP-CAE
ends with duplicate selections on COIL-20.

  /usr/bin/python3 bench/reference_run.py --data /tmp/coil --k 50 --batch-size 16 --seeds 11,22,33

Prints one line per seed (best epoch, test accuracy at the best-validation parameters, unique % at the
best epoch and at the end) and a summary line.
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


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--data', required=True)
    p.add_argument('--k', type=int, default=50)
    p.add_argument('--batch-size', type=int, default=16)
    p.add_argument('--epochs', type=int, default=200)
    p.add_argument('--seeds', default='11,22,33,44,55,66,77,88,99,1010')
    p.add_argument('--method', default='ip-cae', choices=['ip-cae', 'cae'])
    p.add_argument('--threads', type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
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
