#!/usr/bin/env python3
"""CompressAI as the reference for nicenergy's port.

For each ABBR:QUALITY given, this writes into OUT/ABBR-qQUALITY/:
  weights.safetensors    the network's state_dict (CompressAI names), with
                         informative weights (see informative_network)
  reference.safetensors  the input x and what CompressAI computes from it:
                         forward() (y_hat, z_hat, likelihoods, x_hat, bpp) and
                         the two sides apart without arithmetic coding
                         (enc_* from the sender, dec_x_hat from the receiver)
tests/test_compressai_reference.cpp loads both and compares nicenergy with them;
bench/peer_compressai.py uses informative_network for the peer benchmark.

Why not CompressAI's own initialisation: with it every latent rounds to zero,
the likelihoods are all alike and x_hat is flat, so equality would prove little.
"""
import argparse
import os
import sys

import torch
from torch import nn

# abbreviation -> CompressAI zoo name (the README's table)
NETWORKS = {
    "Bfac": "bmshj2018-factorized",
    "Bhyp": "bmshj2018-hyperprior",
    "Mmean": "mbt2018-mean",
    "Mcont": "mbt2018",
    "Canch": "cheng2020-anchor",
    "Cattn": "cheng2020-attn",
}


def load_image(path, height, width):
    """kodim01 (or any RGB image), centre crop, 1x3xHxW float32 in [0, 1]."""
    import numpy as np
    from PIL import Image

    image = np.asarray(Image.open(path).convert("RGB"))
    h, w = image.shape[:2]
    if h < height or w < width:
        raise SystemExit(f"{path} is {w}x{h}, smaller than {width}x{height}")
    top, left = (h - height) // 2, (w - width) // 2
    crop = np.ascontiguousarray(image[top:top + height, left:left + width])
    # Same arithmetic as nicenergy's image_to_tensor: bytes to float32, / 255.
    return torch.from_numpy(crop).permute(2, 0, 1).unsqueeze(0).to(torch.float32).div(255.0).contiguous()


def _last_conv(sequential):
    """The last direct child of g_a/h_a/g_s that is a convolution (for a
    sub-pixel block, its convolution): its output is an affine function of
    its weight and bias, so it can be calibrated exactly."""
    for module in reversed(list(sequential)):
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            return module
        if isinstance(module, nn.Sequential) and isinstance(module[0], nn.Conv2d):
            return module[0]
    raise ValueError("no convolution among the children")


def _calibrate(conv, run, channels, mean, std):
    """Make the output channels `channels` of `conv`, as seen while run()
    executes, have this overall mean and standard deviation (an affine change
    of its weight and bias). run() need only execute the part of the network
    up to conv: calibration should not cost whole forward passes."""
    seen = {}
    handle = conv.register_forward_hook(lambda m, i, o: seen.setdefault("out", o.detach()))
    run()
    handle.remove()
    out = seen["out"][:, channels]
    a = std / out.std().clamp_min(1e-12)
    c = mean - a * out.mean()
    # ConvTranspose2d weights are (in, out, k, k), Conv2d (out, in, k, k).
    out_dim = 1 if isinstance(conv, nn.ConvTranspose2d) else 0
    with torch.no_grad():
        w = conv.weight.transpose(0, out_dim)
        w[channels] *= a
        conv.bias[channels] = conv.bias[channels] * a + c


def informative_network(abbr, quality, x, seed=0):
    """CompressAI's network with seeded initialisation, perturbed with seeded
    noise and calibrated on x so that latents, likelihoods and output carry
    information: y about 4 wide (most of y_hat non-zero), z about 3 wide,
    entropy-model medians off the integers, Gaussian scales near the spread of
    y (likelihoods spread between the bound and 1), x_hat about [0, 1]."""
    from compressai.zoo import image_models

    torch.manual_seed(seed)
    net = image_models[NETWORKS[abbr]](quality=quality, pretrained=False).eval()
    gen = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in net.named_parameters():
            noise = torch.randn(p.shape, generator=gen)
            if name.endswith("quantiles"):
                # Medians (column 1) off the integers: rounding around them differs from plain rounding.
                p[:, :, 1] += torch.rand(p.shape[0], 1, generator=gen) - 0.5
            elif name.startswith("entropy_bottleneck.factors"):
                p.copy_(0.5 * noise)  # initialised to 0, where tanh(factor) would do nothing
            else:
                p.mul_(1 + 0.1 * noise)  # relative: keeps GDN's reparametrised values positive

        _calibrate(_last_conv(net.g_a), lambda: net.g_a(x), slice(None), 0.0, 4.0)
        y = net.g_a(x)
        eb, gc = net.entropy_bottleneck, getattr(net, "gaussian_conditional", None)
        if abbr == "Bfac":
            y_hat = eb(y)[0]
        else:
            h_in = torch.abs(y) if abbr == "Bhyp" else y
            _calibrate(_last_conv(net.h_a), lambda: net.h_a(h_in), slice(None), 0.0, 3.0)
            params = net.h_s(eb(net.h_a(h_in))[0])
            if abbr == "Bhyp":
                _calibrate(_last_conv(net.h_s), lambda: net.h_s(eb(net.h_a(h_in))[0]), slice(None), 3.0, 1.5)
                y_hat = gc.quantize(y, "dequantize")
            elif abbr == "Mmean":
                conv = _last_conv(net.h_s)
                m = conv.out_channels // 2  # chunk(2, 1): scales first, then means
                run = lambda: net.h_s(eb(net.h_a(h_in))[0])
                _calibrate(conv, run, slice(0, m), 3.0, 1.5)
                _calibrate(conv, run, slice(m, None), 0.0, 2.0)
                y_hat = gc.quantize(y, "dequantize", run().chunk(2, 1)[1])
            else:
                y_hat = gc.quantize(y, "dequantize")
                conv = net.entropy_parameters[-1]
                m = conv.out_channels // 2
                ctx = net.context_prediction(y_hat)
                run = lambda: net.entropy_parameters(torch.cat((params, ctx), 1))
                _calibrate(conv, run, slice(0, m), 3.0, 1.5)
                _calibrate(conv, run, slice(m, None), 0.0, 2.0)
        _calibrate(_last_conv(net.g_s), lambda: net.g_s(y_hat), slice(None), 0.45, 0.3)
    return net


def _medians(entropy_bottleneck, like):
    return entropy_bottleneck.quantiles[:, 0, 1].reshape(1, -1, 1, 1).expand_as(like)


def reference(net, abbr, x):
    """forward() and the two sides of the network, as float32 tensors."""
    out = {"x": x}
    pixels = x.size(2) * x.size(3)
    with torch.no_grad():
        fwd = net(x)
        out["x_hat"] = fwd["x_hat"]
        bits = 0.0
        for key, lik in fwd["likelihoods"].items():
            out[f"{key}_likelihoods"] = lik
            bits += -torch.log2(lik.double()).sum().item()
        out["bpp"] = torch.tensor([bits / pixels], dtype=torch.float64)

        # forward() does not return the rounded latents: recompute them with
        # CompressAI's own quantisers, as compress()/decompress() would produce
        # them (the symbols, then dequantised), without the arithmetic coder.
        eb, gc = net.entropy_bottleneck, getattr(net, "gaussian_conditional", None)
        y = net.g_a(x)
        if abbr == "Bfac":
            med = _medians(eb, y)
            y_hat = eb.dequantize(eb.quantize(y, "symbols", med), med)
            _, y_lik = eb(y)
            z_hat = z_lik = None
        else:
            z = net.h_a(torch.abs(y) if abbr == "Bhyp" else y)
            med = _medians(eb, z)
            z_hat = eb.dequantize(eb.quantize(z, "symbols", med), med)
            _, z_lik = eb(z)
            params = net.h_s(z_hat)
            if abbr == "Bhyp":
                y_hat = gc.dequantize(gc.quantize(y, "symbols"))
                _, y_lik = gc(y, params)
            elif abbr == "Mmean":
                scales, means = params.chunk(2, 1)
                y_hat = gc.dequantize(gc.quantize(y, "symbols", means), means)
                _, y_lik = gc(y, scales, means=means)
            else:
                # Context models: y rounded without means, as forward() does
                # (the chain nicenergy measures; compress() instead rounds
                # around the context-predicted means in its serial loop).
                y_hat = gc.quantize(y, "dequantize")
                ctx = net.context_prediction(y_hat)
                scales, means = net.entropy_parameters(torch.cat((params, ctx), 1)).chunk(2, 1)
                _, y_lik = gc(y, scales, means=means)
        out["enc_y_hat"], out["enc_y_likelihoods"] = y_hat, y_lik
        if z_hat is not None:
            out["enc_z_hat"], out["enc_z_likelihoods"] = z_hat, z_lik
            out["z_hat"] = z_hat.clone()  # forward()'s z_hat is the same rounding
        out["y_hat"] = y_hat.clone()
        # The receiver: decompress() ends with g_s(y_hat).clamp_(0, 1).
        out["dec_x_hat"] = net.g_s(y_hat).clamp(0, 1)
    return {k: v.detach().contiguous() for k, v in out.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pairs", nargs="+", metavar="ABBR:QUALITY", help="e.g. Bfac:1 Cattn:6; each goes to OUT/ABBR-qQUALITY/")
    parser.add_argument("--image", required=True)
    parser.add_argument("--height", type=int, default=128)
    parser.add_argument("--width", type=int, default=192)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--out", required=True, help="folder for the pairs' folders")
    args = parser.parse_args()

    from safetensors.torch import save_file

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    x = load_image(args.image, args.height, args.width)
    for pair in args.pairs:
        abbr, quality = pair.split(":")
        if abbr not in NETWORKS:
            raise SystemExit(f"unknown network {abbr}: one of {', '.join(NETWORKS)}")
        net = informative_network(abbr, int(quality), x, args.seed)
        folder = os.path.join(args.out, f"{abbr}-q{quality}")
        os.makedirs(folder, exist_ok=True)
        save_file({k: v.contiguous() for k, v in net.state_dict().items()}, os.path.join(folder, "weights.safetensors"))
        save_file(reference(net, abbr, x), os.path.join(folder, "reference.safetensors"))


if __name__ == "__main__":
    sys.exit(main())
