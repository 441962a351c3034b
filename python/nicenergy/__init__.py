"""nicenergy from Python: the paper's protocol around any callable.

Herglotz et al., "Processing energy modeling for neural network based image
compression" (ICIP): cold idle reference, preheat, hot idle reference, K
windows of M calls, Eq. (1) for the dynamic energy per call, K chosen by the
confidence interval. The module is nicenergy's C++ core (no LibTorch); it
imports no torch and works with any PyTorch build, or none. docs/python.md
is the manual.
"""
from __future__ import annotations

import contextlib
import csv
import json
import os
import shutil
import subprocess
import time
from typing import Any, Callable, Iterator, Optional, Sequence, Tuple, Union

from . import _nicenergy as _core

Error = _core.Error
"""Every failure that is neither a bad argument (ValueError) nor a file (OSError)."""

__all__ = ["Error", "Monitor", "Record", "Window", "fit", "measure", "meters", "predict",
           "protocol_settings", "report"]


def meters() -> list:
    """What `nicenergy meters --json` gives: one dict per meter (name, available, detail)."""
    return _core.meters()


def protocol_settings() -> list:
    """The protocol's settings table: name, unit, default, bounds and help of each."""
    return _core.protocol_settings()


class Window:
    """One measurement window: energy over it (J), its length, and how it was measured.

    dynamic_energy_j is Eq. (1) with one execution, the energy above the
    monitor's idle power (None until Monitor.measure_idle or idle_power_w gave one).
    """

    def __init__(self, name: str):
        self.name = name
        self.energy_j: Optional[float] = None
        self.dynamic_energy_j: Optional[float] = None
        self.duration_s: Optional[float] = None
        self.method: Optional[str] = None
        self.counter_energy_j: Optional[float] = None
        self.samples_energy_j: Optional[float] = None
        self.samples = 0
        self.estimate = False

    def __repr__(self) -> str:
        label = " ESTIMATE" if self.estimate else ""
        return (f"Window({self.name!r}, energy_j={self.energy_j}, dynamic_energy_j={self.dynamic_energy_j}, "
                f"duration_s={self.duration_s}, method={self.method!r}{label})")


class Monitor:
    """Measurement windows on one meter, as Zeus's begin_window/end_window.

    meter: "auto" (NVML for a CUDA device, RAPL for the CPU, else the CPU-time
    ESTIMATE, said once on stderr), or any name `meters()` lists. Windows may
    nest and overlap; each has its own name.
    """

    def __init__(self, meter: str = "auto", device: Optional[str] = None, *, sample_hz: float = 10,
                 idle_power_w: Optional[float] = None):
        if idle_power_w is not None and not idle_power_w >= 0:
            raise ValueError(f"idle_power_w must be a power >= 0 W, not {idle_power_w!r}")
        self._monitor = _core.Monitor(meter, device or "cpu", float(sample_hz))
        self.idle_power_w = idle_power_w
        if self._monitor.note:
            import sys
            print(f"note: {self._monitor.note}", file=sys.stderr)

    @property
    def meter(self) -> str:
        return self._monitor.meter

    @property
    def is_estimate(self) -> bool:
        """True where the energies are the CPU-time estimate, not measurements."""
        return self._monitor.is_estimate

    def measure_idle(self, seconds: float = 10) -> float:
        """Mean power over `seconds` with nothing running (W); later windows' dynamic energy uses it."""
        if not seconds > 0:
            raise ValueError(f"measure_idle needs seconds > 0, not {seconds!r}")
        name = f"__idle_{id(self)}"
        self._monitor.begin_window(name)
        time.sleep(seconds)
        w = self.end_window(name)
        if w.energy_j is None or not w.duration_s:
            raise Error(f"meter {self.meter} gave no energy over the idle reference")
        self.idle_power_w = w.energy_j / w.duration_s
        return self.idle_power_w

    def begin_window(self, name: str) -> None:
        self._monitor.begin_window(name)

    def end_window(self, name: str) -> Window:
        d = self._monitor.end_window(name)
        w = Window(name)
        for key in ("energy_j", "duration_s", "method", "counter_energy_j", "samples_energy_j", "samples"):
            setattr(w, key, d[key])
        w.estimate = self.is_estimate
        if self.idle_power_w is not None and w.energy_j is not None:
            w.dynamic_energy_j = w.energy_j - self.idle_power_w * w.duration_s
        return w

    @contextlib.contextmanager
    def window(self, name: str) -> Iterator[Window]:
        """with monitor.window("encode") as w: ...  -- w is filled on exit."""
        w = Window(name)
        self.begin_window(name)
        try:
            yield w
        finally:
            done = self.end_window(name)
            w.__dict__.update(done.__dict__)


class Record:
    """One measurement: the JSON record's fields as attributes (energy_j,
    energy_ci_j, k, m, duration_s, idle_power_w, meter, method, warnings, ...).
    energy_j is Eq. (1) per call; with items_per_call > 1 also energy_per_item_j."""

    def __init__(self, fields: dict, protocol: Optional[dict] = None):
        self._fields = dict(fields)
        self.protocol = protocol or {}

    def __getattr__(self, key: str) -> Any:
        try:
            return self._fields[key]
        except KeyError:
            raise AttributeError(f"Record has no field {key!r}; fields: {', '.join(self._fields)}") from None

    def to_dict(self) -> dict:
        return dict(self._fields)

    def __repr__(self) -> str:
        f = self._fields
        label = " ESTIMATE" if f.get("method") == "estimate" or f.get("meter") == "estimate" else ""
        return (f"Record({f.get('network')!r}: {f.get('energy_j'):.4g} +- {f.get('energy_ci_j'):.2g} J per call, "
                f"k={f.get('k')}, m={f.get('m')}, meter={f.get('meter')}{label})")


def _size(pixels: Union[None, int, Sequence[int]]) -> Tuple[int, int, int]:
    if pixels is None:
        return 0, 0, 0
    if isinstance(pixels, int) and not isinstance(pixels, bool):
        if pixels <= 0:
            raise ValueError(f"pixels must be a positive count or (width, height), not {pixels!r}")
        return 0, 0, pixels
    try:
        width, height = (int(v) for v in pixels)
    except (TypeError, ValueError):
        raise ValueError(f"pixels must be a positive count or (width, height), not {pixels!r}") from None
    if width <= 0 or height <= 0:
        raise ValueError(f"pixels must be a positive count or (width, height), not {pixels!r}")
    return width, height, width * height


def _default_sync(device: str) -> Optional[Callable[[], None]]:
    if not device.startswith("cuda"):
        return None
    try:
        import torch  # only to wait for the GPU; nicenergy itself needs no torch
    except ImportError:
        return None
    return torch.cuda.synchronize


def measure(fn: Callable[[], Any], *, name: str, pixels: Union[None, int, Sequence[int]] = None,
            items_per_call: int = 1, device: Optional[str] = None, meter: str = "auto",
            sync: Optional[Callable[[], Any]] = None, protocol: Optional[dict] = None,
            output: Optional[str] = None, quality: int = 0, image: str = "", preheat: bool = True,
            progress: bool = True, resume: bool = True) -> Record:
    """The paper's protocol around `fn` (called with no arguments): returns a Record.

    pixels: the image size (width, height) or a pixel count, for Eq. (2) fits.
    items_per_call: images per call; the record then also gives energy_per_item_j.
    protocol: settings by their table's names (idle_s, window_s, k_min, ...; see
    protocol_settings()); an unknown name is a ValueError listing the known ones.
    output: a results CSV to append the row to (read by `nicenergy fit` and `report`).
    resume: where output already holds this point (name, quality, image, size), that
    row is returned and nothing is measured again, as a campaign resumes.
    """
    if not callable(fn):
        raise ValueError(f"measure needs a callable, not {type(fn).__name__}")
    if not isinstance(name, str) or not name or any(c in name for c in "\r\n,\""):
        raise ValueError(f"name must be a non-empty text without commas, quotes or newlines, not {name!r}")
    if not isinstance(items_per_call, int) or isinstance(items_per_call, bool) or items_per_call < 1:
        raise ValueError(f"items_per_call must be a whole number >= 1, not {items_per_call!r}")
    settings = dict(protocol or {})  # names and values checked by the settings table (ValueError)
    width, height, count = _size(pixels)
    if output:
        folder = os.path.dirname(os.path.abspath(os.fspath(output)))
        if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
            raise OSError(f"output '{os.fspath(output)}': its folder '{folder}' is not a writable folder")
    device = device or "cpu"
    if sync is None:
        sync = _default_sync(device)
    identity = {"name": name, "quality": int(quality), "image": image, "width": width, "height": height,
                "pixels": count}
    if output and resume:
        done = _finished_row(os.fspath(output), identity)
        if done is not None:
            import sys
            print(f"note: {name} q{quality} {width}x{height} is already in {os.fspath(output)}: kept, not measured "
                  f"again (resume=False measures it again)", file=sys.stderr)
            return done
    record_json, protocol_json = _core.measure(fn, sync, identity, device, meter, settings, bool(preheat),
                                               os.fspath(output) if output else "", bool(progress))
    fields = json.loads(record_json)
    fields["items_per_call"] = items_per_call
    if items_per_call > 1:
        fields["energy_per_item_j"] = fields["energy_j"] / items_per_call
        fields["energy_per_item_ci_j"] = fields["energy_ci_j"] / items_per_call
    return Record(fields, json.loads(protocol_json))


def _number(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _finished_row(path: str, identity: dict) -> Optional[Record]:
    """The row of this point in a results CSV, or None (no file, no such row)."""
    if not os.path.isfile(path):
        return None
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if (row.get("network") == identity["name"] and row.get("quality") == str(identity["quality"])
                    and row.get("image", "") == identity["image"] and row.get("pixels") == str(identity["pixels"])
                    and row.get("width") == str(identity["width"]) and row.get("height") == str(identity["height"])):
                text = ("network", "abbr", "image", "level", "meter", "method", "device", "started_at")
                fields = {k: v if k in text or v == "" else _number(v) for k, v in row.items()}
                fields["warnings"] = row.get("warnings", "")  # "; "-separated, as in the JSON record
                return Record(fields)
    return None


# --- fit, predict, report: the CLI's commands, run by the built CLI -----------------

def _cli() -> str:
    """The nicenergy executable: $NICENERGY_CLI, then PATH, then the source tree's build/."""
    candidates = [os.environ.get("NICENERGY_CLI", ""), shutil.which("nicenergy") or ""]
    try:
        from ._build_info import SOURCE_DIR
        candidates.append(os.path.join(SOURCE_DIR, "build", "nicenergy"))
    except ImportError:
        pass
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise Error("the nicenergy command is not built: run 'cmake -S . -B build -G Ninja && cmake --build build' "
                "in the repository (see docs/install.md), or set NICENERGY_CLI to its path")


def _run_cli(args: Sequence[str]) -> str:
    done = subprocess.run([_cli(), *args], capture_output=True, text=True)
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise Error(message)
    return done.stdout


def fit(csv_path: str, *, output: Optional[str] = None) -> dict:
    """Eq. (2) per network and level, as `nicenergy fit --json` (and --output FIT.json)."""
    if not os.path.isfile(csv_path):
        raise OSError(f"results file '{csv_path}' does not exist")
    args = ["fit", "--json", os.fspath(csv_path)] + (["--output", os.fspath(output)] if output else [])
    return json.loads(_run_cli(args))


def predict(fit: Optional[str], name: str, quality: int, pixels: Union[int, Sequence[int]], *,
            strict: bool = False) -> dict:
    """Energy per image from a fit JSON (None: the fit shipped for this machine), as `nicenergy predict --json`."""
    width, height, count = _size(pixels)
    size = f"{width}x{height}" if width else f"{count}x1"
    args = ["predict", "--json", "--model", name, "--quality", str(int(quality)), "--size", size]
    if fit:
        args += ["--coeffs", os.fspath(fit)]
    if strict:
        args.append("--strict")
    return json.loads(_run_cli(args))


def report(csv_path: str, out_dir: str) -> str:
    """The paper's figures and tables into out_dir, as `nicenergy report`; returns out_dir."""
    if not os.path.isfile(csv_path):
        raise OSError(f"results file '{csv_path}' does not exist")
    _run_cli(["report", os.fspath(csv_path), "--output", os.fspath(out_dir)])
    return out_dir
