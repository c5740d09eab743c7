"""The main job, end to end: ``skcnn demo --quick`` through the installed command."""

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
    run = subprocess.run([SCRIPT, "demo", "--quick", "--out", str(out)], capture_output=True, text=True,
                         timeout=900)
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
    assert not [p for p in out.iterdir() if p.name.startswith(".tmp-")]
