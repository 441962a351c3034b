#!/usr/bin/env python3
"""Peer benchmark: CompressAI's forward() in PyTorch against nicenergy's chain.

Both sides run in the same LibTorch (build nicenergy against the venv's torch),
with the same intra-op threads, deterministic algorithms, no autograd, the same
informative weights (tests/reference/compressai_reference.py, written to one
safetensors file that both load) and the same centred crop of the same image.
nicenergy runs in bench/peer_chain, kept alive as a server, so that neither
side's timings include process start or model loading. Per network and level:
a warm-up execution on each side, then --rounds rounds alternating CompressAI
and nicenergy (K executions each, K chosen so that a round lasts about
--round-s); images per second is K / round time, median over rounds.

  .venv/bin/python bench/peer_compressai.py --chain build-ref/peer_chain --threads 2 \\
      --out bench/results/peer-cpu.json
"""
import argparse
import datetime
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))
import compressai_reference as ref  # noqa: E402  (informative weights, image crop)

# Lowest and highest quality of each network (README, "The networks").
PAIRS = [("Bfac", 1), ("Bfac", 8), ("Bhyp", 1), ("Bhyp", 8), ("Mmean", 1), ("Mmean", 8),
         ("Mcont", 1), ("Mcont", 8), ("Canch", 1), ("Canch", 6), ("Cattn", 1), ("Cattn", 6)]


def current_name(key):
    """CompressAI up to 1.2.4 names the entropy bottleneck's parameters _matrix0,
    _bias0, _factor0; later versions, and nicenergy, matrices.0, biases.0, factors.0."""
    return re.sub(r"\._(matrix|bias|factor)(\d+)$",
                  lambda m: {"matrix": ".matrices.", "bias": ".biases.", "factor": ".factors."}[m.group(1)] + m.group(2),
                  key)


class Chain:
    """bench/peer_chain as a server: one JSON answer a command."""

    def __init__(self, path, image, width, height, threads, mode):
        self.proc = subprocess.Popen([path, "--image", image, "--width", str(width), "--height", str(height),
                                      "--threads", str(threads), "--mode", mode],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        if "error" in answer:
            raise SystemExit(f"peer_chain: {answer['error']} (command: {line})")
        return answer

    def close(self):
        self.proc.stdin.write("quit\n")
        self.proc.stdin.close()
        self.proc.wait()


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chain", default=os.path.join(HERE, "..", "build-ref", "peer_chain"))
    parser.add_argument("--image", default=os.path.join(HERE, "..", "data", "images", "kodim01.png"))
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--height", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--round-s", type=float, default=1.0, help="target length of one side's round")
    parser.add_argument("--only", nargs="*", default=None, help="e.g. Bfac:1 Cattn:6 (default: all twelve)")
    parser.add_argument("--out", default=None, help="JSON file for the raw results")
    parser.add_argument("--mode", default="float32",
                        help="nicenergy's energy mode, e.g. channels_last+subpixel+inference_mode (CompressAI runs as it is)")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    x = ref.load_image(args.image, args.height, args.width)
    pairs = PAIRS if not args.only else [(p.split(":")[0], int(p.split(":")[1])) for p in args.only]
    chain = Chain(args.chain, args.image, args.width, args.height, args.threads, args.mode)
    results = []
    with tempfile.TemporaryDirectory(prefix="nicenergy_peer_") as tmp:
        for abbr, quality in pairs:
            from safetensors.torch import save_file

            net = ref.informative_network(abbr, quality, x)
            weights = os.path.join(tmp, f"{abbr}-q{quality}.safetensors")
            save_file({current_name(k): v.contiguous() for k, v in net.state_dict().items()}, weights)
            loaded = chain.ask(f"load {abbr} {quality} {weights}")
            if loaded["padded"] != [args.height, args.width]:
                raise SystemExit(f"{abbr}: nicenergy pads to {loaded['padded']}; use a multiple of 128")

            def compressai_once():
                with torch.no_grad():
                    return net(x)

            start = time.perf_counter()
            out = compressai_once()  # warm-up
            warm_s = time.perf_counter() - start
            bits = sum(-torch.log2(lik.double()).sum().item() for lik in out["likelihoods"].values())
            bpp = bits / (args.height * args.width)
            # Same weights and image must give the same rate on both sides.
            if abs(loaded["bpp"] - bpp) > 1e-4 * bpp:
                raise SystemExit(f"{abbr} q{quality}: bpp {loaded['bpp']} (nicenergy) != {bpp} (CompressAI)")
            chain.ask("run 1")  # warm-up
            k = max(1, math.ceil(args.round_s / warm_s))
            rounds = []
            for r in range(args.rounds):
                # Alternate which side goes first, so neither always follows the other.
                order = ["compressai", "nicenergy"] if r % 2 == 0 else ["nicenergy", "compressai"]
                times = {}
                for side in order:
                    if side == "compressai":
                        start = time.perf_counter()
                        for _ in range(k):
                            compressai_once()
                        times[side] = time.perf_counter() - start
                    else:
                        times[side] = sum(chain.ask(f"run {k}")["seconds"])
                rounds.append({"images": k, "compressai_s": times["compressai"], "nicenergy_s": times["nicenergy"]})
            a = statistics.median(k / r["compressai_s"] for r in rounds)
            b = statistics.median(k / r["nicenergy_s"] for r in rounds)
            record = {"model": abbr, "quality": quality, "bpp": bpp, "images_per_round": k, "rounds": rounds,
                      "compressai_img_s": a, "nicenergy_img_s": b, "ratio": b / a}
            results.append(record)
            print(f"{abbr:6s} q{quality}  CompressAI {a:8.3f} img/s  nicenergy {b:8.3f} img/s  ratio {b / a:.3f}",
                  flush=True)
            del net
    chain.close()

    import compressai

    summary = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": " ".join([os.path.relpath(sys.executable)] + sys.argv),
        "machine": {"cpu": cpu_name(), "logical_cores": os.cpu_count(), "system": platform.platform()},
        "torch": torch.__version__, "compressai": compressai.__version__, "threads": args.threads,
        "image": os.path.relpath(args.image), "width": args.width, "height": args.height,
        "rounds": args.rounds, "mode": args.mode, "results": results,
    }
    if args.out:
        with open(args.out, "w") as f:
            json.dump(summary, f, indent=1)
            f.write("\n")
    print("\n| network | quality | CompressAI img/s | nicenergy img/s | nicenergy / CompressAI |")
    print("|---|---|---|---|---|")
    for r in results:
        print(f"| {r['model']} | {r['quality']} | {r['compressai_img_s']:.3f} | {r['nicenergy_img_s']:.3f} | {r['ratio']:.3f} |")


if __name__ == "__main__":
    main()
