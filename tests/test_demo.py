"""The main job, end to end: ``skcnn demo --quick`` through the installed command."""

import logging
import os
import re
import shutil
import subprocess
import sys

import pytest
from PIL import Image

SCRIPT = shutil.which("skcnn", path=os.path.dirname(sys.executable)) or shutil.which("skcnn")


@pytest.mark.skipif(SCRIPT is None, reason="the skcnn console script is not installed (pip install .)")
def test_quick_demo_writes_a_page_whose_images_all_decode(tmp_path):
    out = tmp_path / "report"
    # as a user runs it: none of TensorFlow's logging settings given (the root conftest sets one)
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "AUTOGRAPH_VERBOSITY")}
    run = subprocess.run([SCRIPT, "demo", "--quick", "--out", str(out)], capture_output=True, text=True,
                         timeout=900, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    page = (out / "index.html").read_text(encoding="utf-8")
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert len(sources) >= 3
    for src in sources:
        with Image.open(out / src) as im:
            im.load()
            assert im.size[0] >= 50 and im.size[1] >= 50
    assert "Report:" in run.stdout
    assert "[" in run.stderr  # progress lines
    # no TensorFlow noise (issue 10.3): never the environment, no AutoGraph warning, no INFO line
    assert "environ(" not in run.stderr
    assert "AutoGraph" not in run.stderr
    assert not [line for line in run.stderr.splitlines() if line.startswith("I0000")], run.stderr[-3000:]
    assert not [p for p in out.iterdir() if p.name.startswith(".tmp-")]


def test_tensorflow_logging_settings_the_user_made_are_kept():
    code = (
        "import logging, os\n"
        "logging.getLogger('tensorflow').setLevel(logging.INFO)\n"
        "from skcnn.cnn._keras import import_keras\n"
        "keras, tf = import_keras()\n"
        "from tensorflow.python.autograph.utils import ag_logging\n"
        "print(logging.getLogger('tensorflow').level, os.environ['TF_CPP_MIN_LOG_LEVEL'], ag_logging.get_verbosity())\n"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "1", "AUTOGRAPH_VERBOSITY": "3"}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split() == [str(logging.INFO), "1", "3"]


def test_tensorflow_logging_defaults_where_the_user_set_nothing():
    code = (
        "import logging, os\n"
        "from skcnn.cnn._keras import import_keras\n"
        "keras, tf = import_keras()\n"
        "from tensorflow.python.autograph.utils import ag_logging\n"
        "print(logging.getLogger('tensorflow').level, os.environ['TF_CPP_MIN_LOG_LEVEL'], ag_logging.get_verbosity())\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "AUTOGRAPH_VERBOSITY")}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split() == [str(logging.ERROR), "2", "0"]
    assert not [line for line in run.stderr.splitlines() if line.startswith(("I0000", "WARNING: All log"))]


def test_import_log_filter_keeps_what_the_level_allows():
    from skcnn.cnn._keras import _filter_import_log

    text = ("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
            "I0000 00:00:1795410046.042702    7019 port.cc:153] oneDNN custom operations are on.\n"
            "To enable the following instructions: AVX2\n"
            "E0000 00:00:1795410047.532331    7019 cuda_platform.cc:52] failed call to cuInit: UNKNOWN ERROR\n"
            "W0000 00:00:1795410047.532331    7019 x.cc:1] a warning\n"
            "E0000 00:00:1795410047.532331    7019 y.cc:2] a real error\n"
            "its second line\n")
    assert _filter_import_log(text, 2, gpu_found=False) == (
        "E0000 00:00:1795410047.532331    7019 y.cc:2] a real error\nits second line\n")
    assert _filter_import_log(text, 0, gpu_found=True) == text
    kept = _filter_import_log(text, 1, gpu_found=True).splitlines()
    assert [line[:5] for line in kept] == ["E0000", "W0000", "E0000", "its s"]
