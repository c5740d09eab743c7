import errno
import os
import re
import shutil
import subprocess
import sys
import types

import pytest

import skcnn
from skcnn.cli import build_parser, main, run_demo


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
    assert main(["demo", "--out", str(tmp_path), "--sections", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Unknown demo section" in err
    assert list(tmp_path.iterdir()) == []


# --- user errors end with one line and an exit status, never a traceback (issue 10.4) ---


@pytest.fixture
def fake_sections(monkeypatch):
    """Two sections that draw one picture each and train nothing; the second can be made to fail."""
    import skcnn._demo as demo_package
    from skcnn._demo._context import Section
    from skcnn.plotting._common import new_figure

    behaviour = {"second": None}

    def make(name):
        def run(ctx):
            fig, _ = new_figure()
            image = ctx.save(fig, f"{name}.png")
            if name == "second" and behaviour["second"] is not None:
                raise behaviour["second"]
            return Section(title=name, text=f"{name} text", images=[(image, name)])

        module = types.ModuleType(f"skcnn._demo.{name}", f"Demo section: the fake {name} section.")
        module.run = run
        return module

    for name in ("first", "second"):
        monkeypatch.setitem(sys.modules, f"skcnn._demo.{name}", make(name))
    monkeypatch.setattr(demo_package, "SECTIONS", ["first", "second"])
    return behaviour


def test_fake_sections_make_a_whole_report(tmp_path, fake_sections, capsys):
    assert main(["demo", "--out", str(tmp_path / "r"), "-q"]) == 0
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == ["first.png", "index.html", "second.png"]
    assert "second text" in (tmp_path / "r" / "index.html").read_text()
    assert "Report:" in capsys.readouterr().out


def _one_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_existing_file_as_out(tmp_path, fake_sections, capsys):
    target = tmp_path / "report.html"
    target.write_text("mine")
    assert main(["demo", "--out", str(target)]) == 2
    assert "is an existing file" in _one_line(capsys.readouterr().err)
    assert target.read_text() == "mine"


@pytest.mark.parametrize("out", ["/proc/nope", "/proc/nope/deeper"])
def test_unwritable_out(out, fake_sections, capsys):
    assert main(["demo", "--out", out]) == 1
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("skcnn demo: error:") and "/proc/nope" in line and "no report written" in line


def test_invalid_out_name(fake_sections, capsys):
    assert main(["demo", "--out", "bad\x00name"]) == 2
    assert "not a valid folder name" in _one_line(capsys.readouterr().err)


def test_read_only_out(tmp_path, fake_sections, capsys):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    tmp_path.chmod(0o500)
    try:
        assert main(["demo", "--out", str(tmp_path / "r")]) == 1
    finally:
        tmp_path.chmod(0o700)
    assert "Permission denied" in _one_line(capsys.readouterr().err)


def _earlier_report(folder):
    folder.mkdir()
    (folder / "index.html").write_text("earlier report")
    (folder / "first.png").write_bytes(b"earlier picture")


def test_full_disk_leaves_no_partial_report(tmp_path, fake_sections, capsys):
    fake_sections["second"] = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "second.png"))
    out = tmp_path / "r"
    _earlier_report(out)
    assert main(["demo", "--out", str(out)]) == 1
    line = _one_line(capsys.readouterr().err)
    assert "No space left on device" in line and "no report written" in line
    # the earlier report is untouched, and nothing of the failed run is left
    assert sorted(p.name for p in out.iterdir()) == ["first.png", "index.html"]
    assert (out / "index.html").read_text() == "earlier report"
    assert (out / "first.png").read_bytes() == b"earlier picture"


def test_failed_run_removes_the_folder_it_created(tmp_path, fake_sections, capsys):
    fake_sections["second"] = PermissionError(errno.EACCES, "Permission denied", "x.png")
    assert main(["demo", "--out", str(tmp_path / "new" / "r")]) == 1
    _one_line(capsys.readouterr().err)
    assert not (tmp_path / "new" / "r").exists()


def test_ctrl_c_exits_130_without_a_report(tmp_path, fake_sections, capsys):
    fake_sections["second"] = KeyboardInterrupt()
    out = tmp_path / "r"
    _earlier_report(out)
    assert main(["demo", "--out", str(out), "-q"]) == 130
    assert "interrupted" in _one_line(capsys.readouterr().err)
    assert sorted(p.name for p in out.iterdir()) == ["first.png", "index.html"]
    assert (out / "index.html").read_text() == "earlier report"


def test_a_bug_in_a_section_is_not_hidden(tmp_path, fake_sections):
    fake_sections["second"] = ZeroDivisionError("a bug")
    with pytest.raises(ZeroDivisionError):
        main(["demo", "--out", str(tmp_path / "r"), "-q"])
    assert not (tmp_path / "r").exists()


def test_bad_epochs_is_a_usage_error(tmp_path, fake_sections, capsys):
    assert main(["demo", "--out", str(tmp_path), "--epochs", "0"]) == 2
    assert "epochs" in _one_line(capsys.readouterr().err)


def test_demo_help_names_the_sections_and_explains_every_option(capsys):
    from skcnn._demo import SECTIONS

    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for name in SECTIONS:
        assert re.search(rf"^  {name} +\S", text, flags=re.M), name
    for action in build_parser()._subparsers._group_actions[0].choices["demo"]._actions:
        assert action.help and len(action.help) > 10, action.option_strings
        for option in action.option_strings:
            assert option in text
    assert "130" in text


def test_help_does_not_import_tensorflow():
    code = "import sys\nfrom skcnn.cli import build_parser\nbuild_parser()\nprint('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


SCRIPT = shutil.which("skcnn", path=os.path.dirname(sys.executable)) or shutil.which("skcnn")


@pytest.mark.skipif(SCRIPT is None, reason="the skcnn console script is not installed")
def test_installed_command_runs():
    out = subprocess.run([SCRIPT, "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("skcnn ")
