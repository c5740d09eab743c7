"""The main job, end to end: ``skcnn demo --quick`` through the installed command.

Two tests are marked ``backend``: CI's JAX and PyTorch jobs run the quick demo
on their backend too (the command inherits ``KERAS_BACKEND``), check that every
picture decodes and that the CNN section names that backend. There the demo runs
the sections that use Keras (``KERAS_SECTIONS``).
"""

import html
import logging
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

SCRIPT = shutil.which("skcnn", path=os.path.dirname(sys.executable)) or shutil.which("skcnn")
# The sections run on JAX and PyTorch: every one that uses Keras but "search". "neuron" and "mlp" are NumPy
# only, and the CNN grid search of "search" (13 fits, the longest part of the demo on JAX) is also
# tests/test_cnn.py's test_grid_search_over_alpha_l2, marked for every backend.
KERAS_SECTIONS = "cnn,compare,inspect,dream,attribution,evaluation"


@pytest.fixture(scope="module")
def quick_demo(tmp_path_factory):
    """One ``skcnn demo --quick`` run, shared by the tests that read its page: (folder, process, page)."""
    if SCRIPT is None:
        pytest.skip("the skcnn console script is not installed (pip install .)")
    out = tmp_path_factory.mktemp("demo") / "report"
    # as a user runs it: none of TensorFlow's logging settings given (the root conftest sets one)
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "AUTOGRAPH_VERBOSITY")}
    command = [SCRIPT, "demo", "--quick", "--out", str(out)]
    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        command += ["--sections", KERAS_SECTIONS]
    # a hang guard: CI shares 2 cores among 5 jobs
    run = subprocess.run(command, capture_output=True, text=True, timeout=1800, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    return out, run, (out / "index.html").read_text(encoding="utf-8")


def _section(page, heading):
    """(preformatted text, [(image, caption), ...]) of the page's section whose title starts with ``heading``."""
    blocks = re.findall(r"<section><h2>(.*?)</h2>(.*?)</section>", page, flags=re.S)
    body = next(body for title, body in blocks if html.unescape(title).startswith(heading))
    text = re.search(r"<pre>(.*?)</pre>", body, flags=re.S)
    figures = re.findall(r'<img src="([^"]+)".*?<figcaption>(.*?)</figcaption>', body, flags=re.S)
    return (html.unescape(text.group(1)) if text else ""), [(src, html.unescape(c)) for src, c in figures]


@pytest.mark.backend
def test_quick_demo_writes_a_page_whose_images_all_decode(quick_demo):
    out, run, page = quick_demo
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert len(sources) >= 3
    for src in sources:
        with Image.open(out / src) as im:
            im.load()
            assert im.size[0] >= 50 and im.size[1] >= 50
        assert f'<a href="{src}"' in page  # every picture opens at full size
    assert "Report:" in run.stdout
    assert "[" in run.stderr  # progress lines
    # no TensorFlow noise: never the environment, no AutoGraph warning, no INFO line
    assert "environ(" not in run.stderr
    assert "AutoGraph" not in run.stderr
    assert not [line for line in run.stderr.splitlines() if line.startswith("I0000")], run.stderr[-3000:]
    assert not [p for p in out.iterdir() if p.name.startswith(".tmp-")]


def test_attribution_caption_names_the_direction_of_the_mistakes_shown(quick_demo):
    # the caption's "the Xs it took for Ys" must match the "true Y, predicted X" pairs it shows, not swap them
    _, _, page = quick_demo
    text, figures = _section(page, "Why the CNN decided")
    caption = dict(figures)["attribution_errors.png"]
    claim = re.search(r"first the (?:(\d+) )?(\d)s? it took for (?:a )?(\d)s? \(true (\d), predicted (\d): its most "
                      r"frequent mistake, (\d+) of its (\d+) errors\)", caption)
    assert claim, caption
    n_first = int(claim.group(1) or 1)
    a, b = int(claim.group(2)), int(claim.group(3))
    assert (int(claim.group(4)), int(claim.group(5))) == (a, b)
    shown = [tuple(map(int, m)) for m in re.findall(r"true (\d), predicted (\d)",
                                                   re.search(r"digits shown: (.*)", text).group(1))]
    assert shown[:n_first] == [(a, b)] * n_first
    assert (a, b) not in shown[n_first:]
    assert all(t != p for t, p in shown)
    # "most frequent", counted here from the compare section's list of the CNN's mistakes (its own count)
    count, n_errors = int(claim.group(6)), int(claim.group(7))
    kinds = re.search(r"most frequent \(true -> predicted: count\): (.*)", text).group(1)
    counts = [tuple(map(int, m)) for m in re.findall(r"(\d) -> (\d): (\d+)", kinds)]
    assert counts[0] == (a, b, count) and all(c <= count for _, _, c in counts)
    compare_text, _ = _section(page, "MLP against CNN")
    assert f"CNN errors: {n_errors} of" in compare_text


def test_pick_errors_shows_the_most_frequent_direction_first():
    from skcnn._demo.attribution import pick_errors
    from skcnn.metrics import confusions

    # two 4s taken for 9s come first in test order, three 9s taken for 4s are the more frequent mistake
    y_true = np.array([4, 4, 1, 9, 9, 9, 3, 3])
    y_pred = np.array([9, 9, 1, 4, 4, 4, 3, 8])
    chosen, pair, n_pair = pick_errors(y_true, y_pred, 5)
    assert pair == (9, 4) and n_pair == 3
    assert chosen.tolist() == [3, 4, 5, 0, 1]
    assert confusions(y_true, y_pred) == [(9, 4, 3), (4, 9, 2), (3, 8, 1)]
    assert pick_errors(y_true, y_pred, 2)[0].tolist() == [3, 4]
    assert pick_errors(y_true, y_true, 4)[1:] == (None, 0)


def test_cli_summary_of_the_attribution_section_names_no_fixed_pair():
    from skcnn.cli import section_summaries

    summary = section_summaries()["attribution"]
    assert "wrong" in summary and not re.search(r"\d", summary), summary


def test_preformatted_text_wraps_instead_of_being_cut():
    from skcnn._demo._context import Section
    from skcnn._demo._report import render_html

    page = render_html([Section("s", "x" * 400, [("a.png", "caption")])])
    rule = re.search(r"\bpre\s*\{([^}]*)\}", page).group(1)
    assert re.search(r"white-space:\s*pre-wrap", rule) and re.search(r"overflow-wrap:\s*anywhere", rule)
    assert '<a href="a.png" title="full size"><img src="a.png"' in page


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium to render the page")
@pytest.mark.parametrize("width", [800, 1400])
def test_nothing_on_the_page_is_cut_in_chromium(quick_demo, width, tmp_path):
    out, _, page = quick_demo
    # a copy of the page that writes, after layout, how far any <pre> and the page itself overflow
    probe = out / f"probe-{width}.html"
    script = ("<script>window.onload=function(){var w=0;document.querySelectorAll('pre').forEach(function(p)"
              "{w=Math.max(w,p.scrollWidth-p.clientWidth)});document.body.setAttribute('data-overflow',"
              "w+' '+(document.documentElement.scrollWidth-document.documentElement.clientWidth))}</script>")
    probe.write_text(page.replace("</body>", script + "</body>"), encoding="utf-8")
    run = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                          "--disable-background-networking", "--disable-component-update", "--disable-sync",
                          f"--user-data-dir={tmp_path}", f"--window-size={width},2000", "--virtual-time-budget=5000",
                          "--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=120)
    probe.unlink()
    found = re.search(r'data-overflow="(-?\d+) (-?\d+)"', run.stdout)
    assert found, run.stderr[-2000:]
    assert (int(found.group(1)), int(found.group(2))) == (0, 0)


def test_conv3_comparison_reads_at_page_size(quick_demo):
    out, _, page = quick_demo
    text, figures = _section(page, "Inside the CNN")
    src, caption = next((s, c) for s, c in figures if s.startswith("inspect_compare_"))
    n_maps, total = map(int, re.match(r"(\d+) of the (\d+) maps", caption).groups())
    assert n_maps <= 16 < total
    with Image.open(out / src) as im:
        width = im.size[0]
    # the body is at most 1200 px wide; a row is the input then one panel per map
    assert min(width, 1150) / (n_maps + 1) >= 60


def test_class_pattern_renders_cover_every_class(quick_demo):
    _, _, page = quick_demo
    text, _ = _section(page, "Inside the CNN")
    shown = re.search(r"FCP renders of \w+ for classes (.*)", text).group(1)
    assert sorted(int(k) for k in shown.split(", ")) == list(range(10))


def test_grid_search_says_why_its_scores_are_lower(quick_demo):
    _, _, page = quick_demo
    text, figures = _section(page, "Grid search")
    cnn_text, _ = _section(page, "CNN (Keras)")
    assert "Why these scores are below" in text
    main_accuracy = re.search(r"test accuracy (\d\.\d{4}) on", cnn_text).group(1)
    line = next(line for line in text.splitlines() if line.strip().startswith("CNN:"))
    assert re.search(r"CNN: conv filters \(16, 32\), dense \(32,\), 1 epoch", line), line
    assert f"test accuracy {main_accuracy}" in line
    assert "below those of the sections above" in figures[0][1]


def test_tensorflow_logging_settings_the_user_made_are_kept():
    code = (
        "import logging, os\n"
        "logging.getLogger('tensorflow').setLevel(logging.INFO)\n"
        "from skcnn._keras import import_keras\n"
        "keras = import_keras()\n"
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
        "from skcnn._keras import import_keras\n"
        "keras = import_keras()\n"
        "from tensorflow.python.autograph.utils import ag_logging\n"
        "print(logging.getLogger('tensorflow').level, os.environ['TF_CPP_MIN_LOG_LEVEL'], ag_logging.get_verbosity())\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "AUTOGRAPH_VERBOSITY")}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.split() == [str(logging.ERROR), "2", "0"]
    assert not [line for line in run.stderr.splitlines() if line.startswith(("I0000", "WARNING: All log"))]


def test_import_log_filter_keeps_what_the_level_allows():
    from skcnn._keras import _filter_import_log

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


@pytest.mark.backend
def test_cnn_section_names_the_keras_backend_and_its_version(quick_demo):
    import keras

    _, _, page = quick_demo
    cnn_text, _ = _section(page, "CNN (Keras)")
    name = keras.backend.backend()
    from importlib.metadata import version

    assert cnn_text.startswith(f"Keras {keras.version()} on {name} {version(name)}\n")


# ----------------------------------------------------------------------------- "Which map to trust"
def _result(means, higher=None, attributions=None):
    """An EvaluationResult from ``{metric: {method: score or list of scores}}``."""
    from skcnn.inspect.evaluation import METRICS, EvaluationResult

    metrics = list(means)
    methods = list(next(iter(means.values())))
    scores = {(m, k): np.atleast_1d(np.asarray(means[k][m], dtype=float)) for k in metrics for m in methods}
    higher = {k: METRICS[k].higher_is_better for k in metrics} if higher is None else higher
    return EvaluationResult(methods, metrics, scores, higher, attributions or {})


def _named(lines, heading, kind):
    """The methods named on the ``fails``/``passes`` line under the block that starts with ``heading``."""
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    line = next(line for line in lines[start + 1:] if line.strip().startswith(kind))
    listing = line.split(":", 1)[1].strip()
    return set() if listing == "none" else {item.rsplit(" ", 1)[0] for item in listing.split(", ")}


def test_evaluation_section_follows_the_attribution_section():
    from skcnn._demo import SECTIONS

    assert SECTIONS.index("evaluation") == SECTIONS.index("attribution") + 1


def test_randomization_words_name_exactly_the_methods_above_the_limit():
    from skcnn._demo.evaluation import RANDOMIZATION_LIMIT, verdicts

    k = "model_parameter_randomization"
    limit = RANDOMIZATION_LIMIT
    # guided_backprop well above, saliency just above, smoothgrad exactly at the limit, gradcam below
    r = _result({k: {"guided_backprop": [limit + 0.3, limit + 0.4], "saliency": limit + 0.01, "smoothgrad": limit,
                     "gradcam": [0.0, 0.2]}})
    lines = verdicts(r, signed_saliency=limit - 0.4)
    assert _named(lines, "Model parameter randomization", "fails") == {"guided_backprop", "saliency"}
    assert _named(lines, "Model parameter randomization", "passes") == {"smoothgrad", "gradcam"}
    text = "\n".join(lines)
    assert f"guided_backprop fails ({limit + 0.35:.2f}) and saliency fails ({limit + 0.01:.2f})" in text
    assert "keeps 0.10: it passes" in text
    assert (f"Guided Backprop keeps more of its trained map than Grad-CAM ({limit + 0.35:.2f} against 0.10): the suite "
            "ranks it below Grad-CAM under randomization, as Adebayo et al. report.") in text
    # the other way round: the literature's two pass, Guided Backprop keeps less than Grad-CAM
    r = _result({k: {"guided_backprop": 0.1, "saliency": limit - 0.01, "gradcam": 0.3}})
    lines = verdicts(r, signed_saliency=limit + 0.2)
    assert _named(lines, "Model parameter randomization", "fails") == set()
    text = "\n".join(lines)
    assert f"guided_backprop passes (0.10) and saliency passes ({limit - 0.01:.2f})" in text
    assert "it fails." in text
    assert ("Guided Backprop keeps no more of its trained map than Grad-CAM (0.10 against 0.30): the suite ranks it "
            "no lower than Grad-CAM under randomization, unlike") in text


def test_random_logit_and_robustness_words_follow_their_limits():
    from skcnn._demo.evaluation import RANDOM_LOGIT_LIMIT, SENSITIVITY_LIMIT, verdicts

    r = _result({"random_logit": {"a": RANDOM_LOGIT_LIMIT + 0.2, "b": RANDOM_LOGIT_LIMIT - 0.2, "c": 0.0},
                 "avg_sensitivity": {"a": [0.1, 0.2], "b": [SENSITIVITY_LIMIT + 1, SENSITIVITY_LIMIT + 2],
                                     "c": [0.5, np.inf]}})
    lines = verdicts(r)
    assert _named(lines, "Random logit", "fails") == {"a"}
    assert _named(lines, "Random logit", "passes") == {"b", "c"}
    robust = next(line for line in lines if line.startswith("Most robust"))
    top, unstable = robust.split("; unstable")
    assert top.endswith("a 0.15, b 2.50, c inf")
    assert unstable.endswith(": c inf, b 2.50.")
    assert "  c inf: on 1 of 2 digits its map is all 0 and the map of a noisy copy is not." in lines


def test_faithfulness_sparsity_and_recommendation_come_from_the_ranks():
    from skcnn._demo.evaluation import verdicts

    # deletion: lower is better; insertion: higher. Ranks (1 = best), worked out by hand:
    # deletion  a 1, b 2, c 3        insertion  a 2, b 1, c 3       mean: a 1.5, b 1.5, c 3
    r = _result({"deletion": {"a": 0.1, "b": 0.2, "c": 0.3}, "insertion": {"a": 0.5, "b": 0.6, "c": 0.1},
                 "model_parameter_randomization": {"a": 0.9, "b": 0.1, "c": 0.2},
                 "sparseness": {"a": 0.2, "b": 0.9, "c": 0.5}})
    lines = verdicts(r)
    faithful = next(line for line in lines if line.startswith("Most faithful"))
    assert "best of 3): a 1.5, b 1.5, c 3.0; least: c 3.0." in faithful
    assert next(line for line in lines if line.startswith("Sparsest")).endswith(
        "b 0.90, c 0.50, a 0.20; the most spread out: a 0.20.")
    text = "\n".join(lines)
    # a fails randomization: the trusted are b then c, by their faithfulness rank
    assert ("Passing model_parameter_randomization: b, c; trust first the most faithful of them, b (mean rank 1.5"
            in text)
    assert "then c (3.0)" in text
    # nothing passes: no method is recommended
    r = _result({"deletion": {"a": 0.1, "b": 0.2}, "model_parameter_randomization": {"a": 0.9, "b": 0.8}})
    assert "  No method passes model_parameter_randomization: none of these maps can be trusted to explain this " \
           "network." in verdicts(r)


def test_maps_that_are_zero_on_the_black_background_are_named():
    from types import SimpleNamespace

    from skcnn._demo.evaluation import verdicts

    images = np.zeros((2, 4, 4, 1))
    images[:, 1:3, 1:3] = 255  # 4 of 16 pixels lit: 12 black
    bound = np.where(images[..., 0] > 0, 1.0, 0.0)  # 0 on every black pixel: 75%
    dense = np.ones((2, 4, 4))
    k = "model_parameter_randomization"
    attributions = {m: SimpleNamespace(images=images, maps=maps) for m, maps in
                    [("gradient_x_input", bound), ("saliency", dense), ("gradcam", bound)]}
    r = _result({k: {"gradient_x_input": 0.95, "saliency": 0.9, "gradcam": 0.1}}, attributions=attributions)
    note = [line for line in verdicts(r) if "exactly 0 where the image is black" in line]
    # gradcam is zero there too, but passes: only failing methods are explained this way
    assert len(note) == 1 and note[0].startswith("  gradient_x_input (75%): ")


def test_mean_ranks_and_table_follow_the_ranking():
    from skcnn._demo.evaluation import mean_ranks, ranked_table

    r = _result({"deletion": {"a": 0.3, "b": 0.1, "c": 0.2}, "sparseness": {"a": 0.9, "b": 0.1, "c": 0.5},
                 "complexity": {"a": 5.0, "b": 4.0, "c": 4.0}})
    # by hand: deletion a 3, b 1, c 2; sparseness a 1, b 3, c 2; complexity a 3, b 1.5, c 1.5
    assert mean_ranks(r) == pytest.approx({"a": 7 / 3, "b": 5.5 / 3, "c": 5.5 / 3})
    assert mean_ranks(r, ["deletion"]) == {"a": 3.0, "b": 1.0, "c": 2.0}
    rows = ranked_table(r).splitlines()
    assert rows[0].split() == ["method", "rank", "deletion(-)", "sparse(+)", "entropy(-)"]
    assert [row.split()[1] for row in rows[1:4]] == r.ranking() == ["b", "c", "a"]
    assert rows[3].split()[2:] == ["2.3", "0.300", "0.900", "5.000"]


def test_evaluation_section_says_what_its_numbers_say(quick_demo):
    from skcnn._demo.evaluation import METHODS, RANDOMIZATION_LIMIT

    out, _, page = quick_demo
    text, figures = _section(page, "Which map to trust")
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("method "))
    columns = lines[header].split()
    rows = [line.split() for line in lines[header + 1:header + 1 + len(METHODS)]]
    assert sorted(row[1] for row in rows) == sorted(METHODS)
    mprt = {row[1]: float(row[columns.index("MPRT(-)") + 1]) for row in rows}  # rows start with "1." "name"
    assert _named(lines, "Model parameter randomization", "fails") == {m for m, v in mprt.items()
                                                                       if v > RANDOMIZATION_LIMIT}
    said = re.search(r"here guided_backprop (fails|passes) \(([\d.]+)\)", text)
    assert said and float(said.group(2)) == pytest.approx(mprt["guided_backprop"], abs=0.006)
    assert (said.group(1) == "fails") == (mprt["guided_backprop"] > RANDOMIZATION_LIMIT)
    assert "Recommendation:" in text and "left out:" in text
    assert [src for src, _ in figures] == ["evaluation_scores.png", "evaluation_maps.png"]
    with Image.open(out / "evaluation_scores.png") as im:
        assert im.size[1] >= 40 * len(METHODS)  # room for twelve labelled rows
