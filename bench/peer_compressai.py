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
--round-s); images per second is K / round time, median over rounds. Every
execution is synchronised with the device before the next (both sides).

On a CUDA device (--device cuda) both sides run there in strict float32 (no
TF32, deterministic cuDNN and cuBLAS), and each round's energy is read from
the GPU's own total-energy counter (NVML, through libnvidia-ml.so.1): joules
per image = (counter energy - idle power x round time) / K, Eq. (1) of the
paper, with the idle power measured over --idle-s before the first network.

  .venv/bin/python bench/peer_compressai.py --chain build-ref/peer_chain --threads 2 \\
      --out bench/results/peer-cpu.json
  python3 bench/peer_compressai.py --chain build/peer_chain --device cuda --round-s 2 \\
      --out bench/results/peer-h100.json
"""
import argparse
import ctypes
import datetime
import json
import math
import os
import platform
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


class Chain:
    """bench/peer_chain as a server: one JSON answer a command."""

    def __init__(self, path, image, width, height, threads, mode, device):
        self.proc = subprocess.Popen([path, "--image", image, "--width", str(width), "--height", str(height),
                                      "--threads", str(threads), "--mode", mode, "--device", device],
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


class NvmlEnergy:
    """The GPU's total-energy counter (millijoules since the driver loaded), read
    through libnvidia-ml.so.1 as nicenergy's own NVML meter reads it."""

    def __init__(self, device_index):
        try:
            self.lib = ctypes.CDLL("libnvidia-ml.so.1")
        except OSError as e:
            raise SystemExit(f"--device cuda: cannot load libnvidia-ml.so.1 ({e}): no NVIDIA driver here")
        self._check(self.lib.nvmlInit_v2(), "nvmlInit_v2")
        self.handle = ctypes.c_void_p()
        self.selected_by = f"index {device_index}"
        uuid = getattr(torch.cuda.get_device_properties(device_index), "uuid", None)
        # CUDA_VISIBLE_DEVICES may reorder or hide devices: the UUID names the same GPU for both.
        if uuid is not None and self.lib.nvmlDeviceGetHandleByUUID(
                ctypes.c_char_p(("GPU-" + str(uuid)).encode()), ctypes.byref(self.handle)) == 0:
            self.selected_by = "GPU-" + str(uuid)
        else:
            self._check(self.lib.nvmlDeviceGetHandleByIndex_v2(ctypes.c_uint(device_index), ctypes.byref(self.handle)),
                        "nvmlDeviceGetHandleByIndex_v2")
        name = ctypes.create_string_buffer(96)
        self._check(self.lib.nvmlDeviceGetName(self.handle, name, ctypes.c_uint(96)), "nvmlDeviceGetName")
        driver = ctypes.create_string_buffer(96)
        self._check(self.lib.nvmlSystemGetDriverVersion(driver, ctypes.c_uint(96)), "nvmlSystemGetDriverVersion")
        self.name, self.driver = name.value.decode(), driver.value.decode()
        self.energy_j()  # a GPU without the counter (before Volta) fails here, before anything is timed

    def _check(self, status, what):
        if status != 0:
            raise SystemExit(f"NVML {what} failed with status {status}")

    def energy_j(self):
        mj = ctypes.c_ulonglong()
        self._check(self.lib.nvmlDeviceGetTotalEnergyConsumption(self.handle, ctypes.byref(mj)),
                    "nvmlDeviceGetTotalEnergyConsumption")
        return mj.value / 1000.0

    def idle_power_w(self, seconds):
        start_j, start = self.energy_j(), time.perf_counter()
        time.sleep(seconds)
        return (self.energy_j() - start_j) / (time.perf_counter() - start)


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
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (energy from NVML on a GPU)")
    parser.add_argument("--idle-s", type=float, default=10.0, help="idle reference before the first network (CUDA)")
    args = parser.parse_args()

    # cuBLAS reads this when its first handle is made; peer_chain inherits it.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    nvml = None
    if cuda:
        if not torch.cuda.is_available():
            raise SystemExit(f"--device {args.device}: this PyTorch sees no CUDA device")
        # Strict float32 on both sides: PyTorch's default lets cuDNN use TF32.
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        nvml = NvmlEnergy(device.index or 0)

    def synchronize():
        if cuda:
            torch.cuda.synchronize(device)

    x = ref.load_image(args.image, args.height, args.width).to(device)
    pairs = PAIRS if not args.only else [(p.split(":")[0], int(p.split(":")[1])) for p in args.only]
    idle_power_w = nvml.idle_power_w(args.idle_s) if nvml else None
    if nvml:
        print(f"{nvml.name} ({nvml.selected_by}), driver {nvml.driver}: idle {idle_power_w:.2f} W over {args.idle_s:g} s",
              flush=True)
    chain = Chain(args.chain, args.image, args.width, args.height, args.threads, args.mode, args.device)
    results = []
    with tempfile.TemporaryDirectory(prefix="nicenergy_peer_") as tmp:
        for abbr, quality in pairs:
            from safetensors.torch import save_file

            net = ref.informative_network(abbr, quality, x.cpu())
            weights = os.path.join(tmp, f"{abbr}-q{quality}.safetensors")
            # nicenergy loads either spelling of the entropy bottleneck's names (1.2.4's _matrix0, later matrices.0).
            save_file({k: v.contiguous() for k, v in net.state_dict().items()}, weights)
            net = net.to(device)
            loaded = chain.ask(f"load {abbr} {quality} {weights}")
            if loaded["padded"] != [args.height, args.width]:
                raise SystemExit(f"{abbr}: nicenergy pads to {loaded['padded']}; use a multiple of 128")

            def compressai_once():
                with torch.no_grad():
                    out = net(x)
                synchronize()
                return out

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
                times, joules = {}, {}
                for side in order:
                    energy_start = nvml.energy_j() if nvml else None
                    start = time.perf_counter()
                    if side == "compressai":
                        for _ in range(k):
                            compressai_once()
                    else:
                        chain.ask(f"run {k}")
                    # The whole round, as the counter sees it (the server's replies included).
                    times[side] = time.perf_counter() - start
                    if nvml:
                        joules[side] = (nvml.energy_j() - energy_start - idle_power_w * times[side]) / k
                rounds.append({"images": k, "compressai_s": times["compressai"], "nicenergy_s": times["nicenergy"],
                               "compressai_j_per_image": joules.get("compressai"),
                               "nicenergy_j_per_image": joules.get("nicenergy")})
            a = statistics.median(k / r["compressai_s"] for r in rounds)
            b = statistics.median(k / r["nicenergy_s"] for r in rounds)
            record = {"model": abbr, "quality": quality, "bpp": bpp, "images_per_round": k, "rounds": rounds,
                      "compressai_img_s": a, "nicenergy_img_s": b, "ratio": b / a}
            line = f"{abbr:6s} q{quality}  CompressAI {a:8.3f} img/s  nicenergy {b:8.3f} img/s  ratio {b / a:.3f}"
            if nvml:
                ja = statistics.median(r["compressai_j_per_image"] for r in rounds)
                jb = statistics.median(r["nicenergy_j_per_image"] for r in rounds)
                record.update({"compressai_j_per_image": ja, "nicenergy_j_per_image": jb, "energy_ratio": jb / ja})
                line += f"  CompressAI {ja:.4g} J/img  nicenergy {jb:.4g} J/img  ratio {jb / ja:.3f}"
            results.append(record)
            print(line, flush=True)
            del net
    chain.close()

    import compressai

    summary = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": " ".join([os.path.relpath(sys.executable)] + sys.argv),
        "machine": {"cpu": cpu_name(), "logical_cores": os.cpu_count(), "system": platform.platform()},
        "torch": torch.__version__, "compressai": compressai.__version__, "threads": args.threads,
        "image": os.path.relpath(args.image), "width": args.width, "height": args.height,
        "rounds": args.rounds, "mode": args.mode, "device": args.device, "results": results,
    }
    if nvml:
        summary["gpu"] = {"name": nvml.name, "driver": nvml.driver, "nvml_device": nvml.selected_by,
                          "idle_power_w": idle_power_w, "idle_s": args.idle_s,
                          "energy": "NVML total-energy counter per round, minus idle power x round time, over K (Eq. 1)"}
    if args.out:
        with open(args.out, "w") as f:
            json.dump(summary, f, indent=1)
            f.write("\n")
    if nvml:
        print("\n| network | quality | CompressAI img/s | nicenergy img/s | ratio | CompressAI J/img | nicenergy J/img | ratio |")
        print("|---|---|---|---|---|---|---|---|")
        for r in results:
            print(f"| {r['model']} | {r['quality']} | {r['compressai_img_s']:.3f} | {r['nicenergy_img_s']:.3f} | "
                  f"{r['ratio']:.3f} | {r['compressai_j_per_image']:.4g} | {r['nicenergy_j_per_image']:.4g} | "
                  f"{r['energy_ratio']:.3f} |")
        return
    print("\n| network | quality | CompressAI img/s | nicenergy img/s | nicenergy / CompressAI |")
    print("|---|---|---|---|---|")
    for r in results:
        print(f"| {r['model']} | {r['quality']} | {r['compressai_img_s']:.3f} | {r['nicenergy_img_s']:.3f} | {r['ratio']:.3f} |")


if __name__ == "__main__":
    main()
