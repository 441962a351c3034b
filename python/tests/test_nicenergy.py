"""The Python module against independent truths: the fake NVML's known power
(idle_w + cpu_w per busy core of this process) and the estimate's label.

Run by the README's test command after `pip install .`; the fake NVML comes
from the C++ build (build/fake_nvml), or NICENERGY_FAKE_NVML_LIB names it.
"""
import os
import pathlib
import signal
import time

import pytest

import nicenergy

ROOT = pathlib.Path(__file__).resolve().parents[2]
FAKE = os.environ.get("NICENERGY_FAKE_NVML_LIB", str(ROOT / "build" / "fake_nvml" / "libnicenergy_fake_nvml.so"))
IDLE_W, CPU_W = 40.0, 150.0
# Short phases: the fake's counter ticks every 100 ms, so a 1 s window holds ten.
FAST = {"idle_s": 2, "hot_idle_s": 1, "preheat_max_s": 1, "preheat_no_sensor_s": 1, "window_s": 1,
        "k_min": 3, "k_max": 6, "lag_probe_s": 0}

needs_fake = pytest.mark.skipif(not os.path.isfile(FAKE), reason=f"no fake NVML at {FAKE}: build the C++ tests first")


@pytest.fixture()
def fake_nvml(monkeypatch):
    monkeypatch.setenv("NICENERGY_NVML_LIBRARY", FAKE)
    monkeypatch.setenv("NICENERGY_FAKE_NVML", f"idle_w={IDLE_W:g},cpu_w={CPU_W:g}")


def busy(seconds):
    """Keeps one core busy for `seconds` of this process's CPU time."""
    end = time.process_time() + seconds
    x = 0
    while time.process_time() < end:
        x += 1
    return x


def task_count():
    return len(os.listdir("/proc/self/task"))


def test_meters_lists_every_backend_with_a_reason():
    rows = {row["name"]: row for row in nicenergy.meters()}
    assert {"nvml", "rapl", "estimate"} <= set(rows)
    assert rows["estimate"]["available"]
    for row in rows.values():
        assert row["detail"], row  # what it measures, or why it cannot


@needs_fake
def test_measure_gives_eq1_within_one_percent_of_the_fakes_known_energy(fake_nvml, tmp_path):
    cpu_per_call = []

    def work():
        t0 = time.process_time()
        busy(0.02)
        cpu_per_call.append(time.process_time() - t0)

    output = tmp_path / "results.csv"
    record = nicenergy.measure(work, name="busy20ms", pixels=(64, 48), meter="nvml", protocol=FAST,
                               output=output, progress=False)
    # The truth: cpu_w per busy core, over the CPU time each call really took.
    truth_j = CPU_W * sum(cpu_per_call) / len(cpu_per_call)
    assert record.meter == "nvml" and record.method == "counter"
    assert abs(record.energy_j - truth_j) <= 0.01 * truth_j, (record.energy_j, truth_j)
    assert 0 < record.energy_ci_j < record.energy_j
    assert record.idle_power_w == pytest.approx(IDLE_W, rel=0.05)
    assert record.width == 64 and record.height == 48 and record.pixels == 64 * 48
    text = output.read_text()
    assert text.startswith("network,") and "busy20ms" in text.splitlines()[1]
    # Measured again into the same file: the finished row is kept, as a campaign resumes.
    again = nicenergy.measure(lambda: pytest.fail("a finished point ran again"), name="busy20ms", pixels=(64, 48),
                              meter="nvml", protocol=FAST, output=output, progress=False)
    assert again.energy_j == pytest.approx(record.energy_j) and output.read_text() == text


@needs_fake
def test_a_windows_energy_is_the_fakes_power_over_it(fake_nvml):
    monitor = nicenergy.Monitor(meter="nvml", idle_power_w=IDLE_W)
    with monitor.window("outer") as outer:
        with monitor.window("inner") as inner:
            t0 = time.process_time()
            busy(0.5)
            cpu = time.process_time() - t0
    assert inner.energy_j == pytest.approx(IDLE_W * inner.duration_s + CPU_W * cpu, rel=0.05)
    assert inner.dynamic_energy_j == pytest.approx(CPU_W * cpu, rel=0.1)
    assert outer.duration_s >= inner.duration_s and outer.energy_j >= inner.energy_j
    assert not monitor.is_estimate


def test_the_estimate_is_labelled_as_one():
    record = nicenergy.measure(lambda: busy(0.005), name="tiny", meter="estimate",
                               protocol={**FAST, "idle_s": 1}, preheat=False, progress=False)
    assert record.method == "estimate" or record.meter == "estimate"
    assert "ESTIMATE" in repr(record)
    assert record.energy_j > 0


def test_items_per_call_gives_energy_per_item():
    record = nicenergy.measure(lambda: busy(0.004), name="batch", items_per_call=4, meter="estimate",
                               protocol={**FAST, "idle_s": 1}, preheat=False, progress=False)
    assert record.energy_per_item_j == pytest.approx(record.energy_j / 4)


def test_bad_settings_are_value_errors_naming_the_known_ones():
    with pytest.raises(ValueError, match="idle_s"):
        nicenergy.measure(lambda: None, name="x", protocol={"idle": 1})
    with pytest.raises(ValueError, match="window_s"):
        nicenergy.measure(lambda: None, name="x", protocol={"window_s": -1})
    with pytest.raises(ValueError, match="items_per_call"):
        nicenergy.measure(lambda: None, name="x", items_per_call=0)
    with pytest.raises(ValueError, match="device"):
        nicenergy.measure(lambda: None, name="x", device="gpu7")


def test_a_callable_that_raises_propagates_and_writes_nothing(tmp_path):
    output = tmp_path / "results.csv"

    def broken():
        raise RuntimeError("codec exploded")

    with pytest.raises(RuntimeError, match="codec exploded"):
        nicenergy.measure(broken, name="broken", meter="estimate", protocol=FAST, output=output, progress=False)
    assert not output.exists()


def test_a_missing_meter_is_one_clear_error():
    with pytest.raises(nicenergy.Error, match="meter"):
        nicenergy.measure(lambda: None, name="x", meter="no-such-meter")


def test_an_unwritable_output_is_an_os_error(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(OSError):
        nicenergy.measure(lambda: None, name="x", meter="estimate", output=tmp_path / "file" / "r.csv")


def test_a_file_that_is_not_ours_is_refused_and_left_alone(tmp_path):
    foreign = tmp_path / "notes.csv"
    foreign.write_text("a,b\n1,2\n")
    with pytest.raises(nicenergy.Error):
        nicenergy.measure(lambda: None, name="x", meter="estimate", output=foreign, progress=False)
    assert foreign.read_text() == "a,b\n1,2\n"


def test_ctrl_c_raises_at_once_and_leaves_no_thread(tmp_path):
    before = task_count()
    calls = []

    def interrupted():
        calls.append(1)
        busy(0.002)
        if len(calls) == 50:
            signal.raise_signal(signal.SIGINT)

    output = tmp_path / "results.csv"
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        nicenergy.measure(interrupted, name="x", meter="estimate", protocol={**FAST, "idle_s": 1},
                          preheat=False, output=output, progress=False)
    assert time.monotonic() - start < 10
    assert task_count() == before
    assert not output.exists()


CLI = ROOT / "build" / "nicenergy"


@pytest.mark.skipif(not CLI.is_file(), reason=f"no {CLI}: build the C++ side first")
def test_rows_written_from_python_are_what_fit_reads(tmp_path, monkeypatch):
    monkeypatch.setenv("NICENERGY_CLI", str(CLI))
    output = tmp_path / "results.csv"
    # Work proportional to the pixels, so Eq. (2)'s line has a positive slope.
    for width in (64, 128, 192):
        nicenergy.measure(lambda w=width: busy(0.004 * w / 64), name="pycodec", pixels=(width, 64),
                          meter="estimate", protocol={**FAST, "idle_s": 1}, preheat=False, output=output,
                          progress=False)
    fitted = nicenergy.fit(str(output))
    text = repr(fitted)
    assert "pycodec" in text, text
    assert fitted["estimate"] is True  # the estimate's label survives into the fit
    with pytest.raises(nicenergy.Error):
        nicenergy.predict(None, "no-such-net", 1, (64, 64))
    with pytest.raises(OSError):
        nicenergy.fit(str(output) + ".missing")
