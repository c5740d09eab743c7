import errno
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
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


# --- user errors end with one line and an exit status, never a traceback ---


@pytest.fixture
def fake_sections(monkeypatch):
    """Two sections that draw one picture each and train nothing; the second can be made to fail."""
    import skcnn._demo as demo_package
    from skcnn._demo._context import Section
    from skcnn.plotting._common import new_figure

    behaviour = {"second": None, "ran": []}

    def make(name):
        def run(ctx):
            behaviour["ran"].append(name)
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


@pytest.mark.parametrize("out", ["/proc/nope", "/proc/nope/deeper", "{tmp}/a-file/r"])
def test_unwritable_out_is_refused_before_any_section(out, tmp_path, fake_sections, capsys):
    (tmp_path / "a-file").write_text("mine")
    out = out.format(tmp=tmp_path)
    assert main(["demo", "--out", out]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"skcnn demo: error: --out {out} cannot be used: ") and "write to" in line
    assert fake_sections["ran"] == []
    assert (tmp_path / "a-file").read_text() == "mine"


def test_empty_out_is_refused_before_any_section(tmp_path, monkeypatch, fake_sections, capsys):
    monkeypatch.chdir(tmp_path)  # where an empty --out would put the report
    assert main(["demo", "--out", ""]) == 2
    assert "--out must name a folder" in _one_line(capsys.readouterr().err)
    assert fake_sections["ran"] == [] and list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="empty string"):
        run_demo("", verbose=0)


def test_empty_out_stops_before_training_starts(tmp_path):
    """The real command: nothing of the report (matplotlib, a section, a framework) is imported."""
    code = ("import sys\nfrom skcnn.cli import main\nstatus = main(['demo', '--out', ''])\n"
            "print(status, sorted(m for m in sys.modules if m.startswith('skcnn._demo.') or "
            "m.split('.')[0] in ('matplotlib', 'tensorflow', 'keras')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.stdout.strip() == "2 []", out.stdout + out.stderr
    assert "--out must name a folder" in _one_line(out.stderr)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv, usage, unknown", [
    (["demo", "--bogus"], "usage: skcnn demo ", "--bogus"),
    (["demo", "--out", "r", "stray"], "usage: skcnn demo ", "stray"),
    (["plugins", "--bogus"], "usage: skcnn plugins ", "--bogus"),
    (["--bogus", "demo"], "usage: skcnn [-h]", "--bogus"),
])
def test_unknown_option_prints_the_usage_of_its_command(argv, usage, unknown, tmp_path, monkeypatch,
                                                        fake_sections, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(usage) and f"error: unrecognized arguments: {unknown}\n" in err, err
    assert fake_sections["ran"] == [] and list(tmp_path.iterdir()) == []


def test_invalid_out_name(fake_sections, capsys):
    assert main(["demo", "--out", "bad\x00name"]) == 2
    assert "not a valid folder name" in _one_line(capsys.readouterr().err)


def test_read_only_out(tmp_path, fake_sections, capsys):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    tmp_path.chmod(0o500)
    try:
        assert main(["demo", "--out", str(tmp_path / "r")]) == 2
    finally:
        tmp_path.chmod(0o700)
    assert "Permission denied" in _one_line(capsys.readouterr().err)
    assert fake_sections["ran"] == []


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


def test_plugins_lists_every_registry_without_a_framework():
    """``skcnn plugins`` prints what the registries hold once their modules are imported, importing none."""
    code = textwrap.dedent("""
        import contextlib, importlib, io, json, sys, time
        from skcnn.cli import main
        buffer = io.StringIO()
        start = time.perf_counter()
        with contextlib.redirect_stdout(buffer):
            status = main(["plugins"])
        seconds = time.perf_counter() - start
        frameworks = sorted(m for m in ("tensorflow", "keras", "sklearn", "matplotlib") if m in sys.modules)
        from skcnn import plugins
        for r in plugins.registries.values():
            for module in set(r._declared.values()):
                importlib.import_module(module)
        registered = {kind: ", ".join(sorted(r._items)) for kind, r in plugins.registries.items()}
        print(json.dumps([status, buffer.getvalue(), frameworks, registered, seconds]))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    status, printed, frameworks, registered, seconds = json.loads(out.stdout.strip().splitlines()[-1])
    assert status == 0 and frameworks == []
    listed = dict(line.split(": ", 1) for line in printed.splitlines())
    assert listed == registered and "multiscale, precursor" in listed["oip_starts"]
    assert seconds < 1.0
