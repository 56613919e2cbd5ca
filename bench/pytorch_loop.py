#!/usr/bin/env python3
"""The yardstick: a plain PyTorch eager loop of IP-CAE written straight from the method as docs/method.md states it.

Per-sample Gumbel noise, L = Psi W^T + b, Linear(K,200)-LayerNorm-LeakyReLU(0.2)-Linear decoder,
Adam 1e-3, fixed batch order, validation with hard selection every epoch.

  python3 bench/pytorch_loop.py --case mnist-shape --device cpu --epochs 3 --seeds 11
  python3 bench/pytorch_loop.py --case mice-shape --device cuda --epochs 200 --seeds 11,22,...

Prints rows like the ipcae bench: `pytorch-loop  mnist-shape  cpu  R=1  4.50 s/epoch ...`
(R seeds run one after another, as a user of the authors' code would).
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from reference_run import Selector  # the same IP selector as the reference run (bench/)


def run(case, device, epochs, seed, threads):
    torch.manual_seed(seed)
    if case == 'mnist-shape':
        n_tr, n_va, d, k, c, bs = 7200, 1800, 784, 50, 10, 128
    else:
        n_tr, n_va, d, k, c, bs = 648, 216, 77, 10, 8, 16
    x = torch.rand(n_tr + n_va, d, device=device)
    y = torch.randint(0, c, (n_tr + n_va,), device=device)
    xtr, ytr, xva, yva = x[:n_tr], y[:n_tr], x[n_tr:], y[n_tr:]
    sel = Selector(d, k, ip=True).to(device)
    dec = nn.Sequential(nn.Linear(k, 200), nn.LayerNorm(200), nn.LeakyReLU(0.2), nn.Linear(200, c)).to(device)
    opt = torch.optim.Adam(list(sel.parameters()) + list(dec.parameters()), lr=1e-3)
    times = []
    best = float('inf')
    for e in range(epochs):
        t0 = time.perf_counter()
        temp = 10.0 * (0.01 / 10.0) ** (e / epochs)
        for i in range(n_tr // bs):
            xb, yb = xtr[i * bs:(i + 1) * bs], ytr[i * bs:(i + 1) * bs]
            loss = F.cross_entropy(dec(sel(xb, temp)), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            vl = F.cross_entropy(dec(sel.hard(xva)), yva).item()
            best = min(best, vl)
        if device.startswith('cuda'):
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return times


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--case', default='mnist-shape', choices=['mnist-shape', 'mice-shape'])
    p.add_argument('--device', default='cpu')
    p.add_argument('--epochs', type=int, default=3)
    p.add_argument('--seeds', default='11')
    p.add_argument('--threads', type=int, default=0)
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    seeds = [int(s) for s in a.seeds.split(',')]
    start = time.perf_counter()
    per_epoch = []
    for s in seeds:
        per_epoch += run(a.case, a.device, a.epochs, s, a.threads)
    total = time.perf_counter() - start
    per_epoch.sort()
    med = per_epoch[len(per_epoch) // 2]
    print(f'pytorch-loop  {a.case}  {a.device}  R={len(seeds)}  {med:.3f} s/epoch  '
          f'({total:.2f} s total for {a.epochs} epochs x {len(seeds)} seeds; torch {torch.__version__}; '
          f'threads {torch.get_num_threads()})')


if __name__ == '__main__':
    main()
