#!/usr/bin/env python3
"""Exports CompressAI networks to TorchScript, as a user would, for nicenergy.

    export_torchscript.py OUT_DIR ABBR:QUALITY [ABBR:QUALITY ...] [--size 256]

writes OUT_DIR/ABBR-qQUALITY.pt: the network (CompressAI's initialisation, no
pretrained weights: complexity and energy do not depend on the values) traced
on a 1x3xSIZExSIZE input, eval mode, no grad. forward(x) returns a flat dict:
x_hat and every likelihood (likelihoods_y, likelihoods_z), so that no part of
the chain is dead code in the traced graph.

CompressAI's LowerBound (GDN, entropy bottleneck) is a Python autograd
Function, which TorchScript cannot save; in eval mode its forward is
torch.max(x, bound), which is what it is replaced with before tracing.

Used by tests/test_torchscript.cpp and the README's export example.
"""
import argparse
import os

import torch

NETWORKS = {
    "Bfac": "bmshj2018-factorized",
    "Bhyp": "bmshj2018-hyperprior",
    "Mmean": "mbt2018-mean",
    "Mcont": "mbt2018",
    "Canch": "cheng2020-anchor",
    "Cattn": "cheng2020-attn",
}


class FlatOutputs(torch.nn.Module):
    """forward(x) -> {"x_hat": ..., "likelihoods_y": ..., ...}."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        out = self.net(x)
        flat = {"x_hat": out["x_hat"]}
        for name, value in out["likelihoods"].items():
            flat["likelihoods_" + name] = value
        return flat


def export(abbr, quality, size, out_dir):
    import compressai.ops.bound_ops as bound_ops
    from compressai.zoo import models

    bound_ops.LowerBound.forward = lambda self, x: torch.max(x, self.bound)
    net = models[NETWORKS[abbr]](quality=quality, pretrained=False).eval()
    with torch.no_grad():
        traced = torch.jit.trace(FlatOutputs(net), torch.rand(1, 3, size, size), strict=False, check_trace=False)
    path = os.path.join(out_dir, f"{abbr}-q{quality}.pt")
    traced.save(path)
    print(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir")
    parser.add_argument("networks", nargs="+", help="ABBR:QUALITY, e.g. Bfac:1")
    parser.add_argument("--size", type=int, default=256, help="trace input size (a multiple of 64)")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    torch.manual_seed(0)
    for item in args.networks:
        abbr, quality = item.split(":")
        if abbr not in NETWORKS:
            raise SystemExit(f"unknown network {abbr}: use one of {', '.join(NETWORKS)}")
        export(abbr, int(quality), args.size, args.out_dir)


if __name__ == "__main__":
    main()
