"""CompressAI's own Bfac measured from Python, beside nicenergy's port of it.

Loads the trained Bfac that ships in data/weights/bfac-q1.safetensors (CompressAI's
parameter names) into CompressAI's bmshj2018_factorized, measures its forward pass
on a Kodak image with nicenergy.measure, and appends the row to a results CSV.
Then nicenergy's own port of the same network and weights is measured into the
same CSV by a one-point campaign, and `nicenergy report` shows both side by side.
Where the installed torch can compile, torch.compile'd CompressAI is a third row.

Run from the repository root, in a venv with torch, compressai and nicenergy
(`pip install .`), after building build/nicenergy:

    python examples/measure_compressai.py [--quick] [--device cuda] [--out results/compressai]
"""
import argparse
import math
import os
import pathlib
import subprocess
import sys

import numpy
import torch
import torch.nn.functional as F
from compressai.zoo import bmshj2018_factorized
from PIL import Image
from safetensors.torch import load_file

import nicenergy

ROOT = pathlib.Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / "data" / "weights" / "bfac-q1.safetensors"
IMAGE = ROOT / "data" / "images" / "kodim01.png"


def load_bfac(device):
    net = bmshj2018_factorized(quality=1, pretrained=False)
    state = load_file(str(WEIGHTS))
    missing, unexpected = net.load_state_dict(state, strict=False)
    # The entropy bottleneck's CDF tables are derived, not trained: update() makes them.
    missing = [k for k in missing if "_quantized_cdf" not in k and "_offset" not in k and "_cdf_length" not in k]
    if missing or unexpected:
        sys.exit(f"{WEIGHTS}: missing {missing}, unexpected {unexpected}")
    net.update(force=True)
    return net.eval().to(device)


def image_tensor(device, multiple=16):
    """The image in [0, 1], zero-padded around to a multiple of 16 as CompressAI's own
    evaluation does (and nicenergy's port: the same padded size is measured)."""
    img = Image.open(IMAGE).convert("RGB")
    x = torch.from_numpy(numpy.asarray(img).copy()).permute(2, 0, 1).float().div(255).unsqueeze(0)
    h, w = x.shape[2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    x = F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2), mode="constant", value=0)
    return x.to(device), img.width, img.height, (ph // 2, pw // 2)


def campaign_row(out, device, protocol):
    """nicenergy's port of the same network and weights, into the same CSV."""
    config = out / "port.toml"
    lines = ["[campaign]", 'name = "port"', f'output = "{out / "results.csv"}"', f'device = "{device}"',
             'meter = "auto"', 'models = ["Bfac"]', "qualities = [1]", "[protocol]"]
    lines += [f"{k} = {v}" for k, v in protocol.items()]
    lines += ["[[images]]", f'files = ["{IMAGE}"]', "[[weights]]", 'model = "Bfac"', "quality = 1",
              f'file = "{WEIGHTS}"']
    config.write_text("\n".join(lines) + "\n")
    subprocess.run([nicenergy._cli(), "campaign", str(config)], check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default="results/compressai")
    parser.add_argument("--quick", action="store_true", help="short protocol: a look, not the paper's precision")
    args = parser.parse_args()
    out = pathlib.Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    protocol = {"idle_s": 5, "hot_idle_s": 3, "window_s": 1, "preheat_max_s": 5, "k_max": 8} if args.quick else {}

    net = load_bfac(args.device)
    x, width, height, (top, left) = image_tensor(args.device)
    with torch.inference_mode():
        y = net(x)["x_hat"].clamp(0, 1)
        crop = (slice(None), slice(None), slice(top, top + height), slice(left, left + width))
        mse = torch.mean((y[crop] - x[crop]) ** 2).item()
    print(f"CompressAI Bfac q1 on {IMAGE.name}: PSNR {10 * math.log10(1 / mse):.2f} dB")

    def forward():
        with torch.inference_mode():
            net(x)

    results = out / "results.csv"
    record = nicenergy.measure(forward, name="compressai-bmshj2018_factorized", quality=1, image=str(IMAGE),
                               pixels=(width, height), device=args.device, protocol=protocol, output=results)
    print(record)
    try:
        compiled = torch.compile(net)
        with torch.inference_mode():
            compiled(x)  # compiles here, outside the measurement

        def forward_compiled():
            with torch.inference_mode():
                compiled(x)

        print(nicenergy.measure(forward_compiled, name="compressai-compiled", quality=1, image=str(IMAGE),
                                pixels=(width, height), device=args.device, protocol=protocol, output=results))
    except Exception as e:  # no compiler on this machine: said, and the rest goes on
        print(f"torch.compile: skipped ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})")
    campaign_row(out, args.device, protocol)
    nicenergy.report(str(results), str(out / "report"))
    print(f"report: {out / 'report' / 'index.html'} (energy per image: {out / 'report' / 'energy.md'})")


if __name__ == "__main__":
    main()
