import os
import shutil
import subprocess
import sys

import pytest

import skcnn
from skcnn.cli import main, run_demo


def test_import_is_fast_and_does_not_import_tensorflow():
    code = ("import time, sys; t = time.perf_counter(); import skcnn; dt = time.perf_counter() - t; "
            "print(dt, 'tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, tf_loaded, keras_loaded = out.stdout.split()
    assert tf_loaded == "False" and keras_loaded == "False"
    assert float(seconds) < 0.5


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"skcnn {skcnn.__version__}"


def test_neuron_demo_section_writes_page(tmp_path, capsys):
    page = run_demo(tmp_path, sections=["neuron"], verbose=0)
    html = page.read_text()
    out = capsys.readouterr().out
    assert "(w1, w2) = (-0.4815, 0.3906)" in out and "14 of 14" in out
    for name in ("neuron_cost.png", "neuron_history.png", "neuron_contour.png"):
        assert f'src="{name}"' in html and (tmp_path / name).stat().st_size > 1000
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


def test_unknown_section_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--out", str(tmp_path), "--sections", "nope"])
    assert exit_info.value.code == 2
    assert "Unknown demo section" in capsys.readouterr().err


SCRIPT = shutil.which("skcnn", path=os.path.dirname(sys.executable)) or shutil.which("skcnn")


@pytest.mark.skipif(SCRIPT is None, reason="the skcnn console script is not installed")
def test_installed_command_runs():
    out = subprocess.run([SCRIPT, "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("skcnn ")
