"""The command line: eval, check, errors (one line, non-zero exit, no traceback)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from gradstudio.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
LECTURE = str(EXAMPLES / "lecture_function.gsg")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_eval_expr_json_with_grad(capsys):
    code, out, err = run(capsys, "eval", "--expr", "log(x1) + x1*x2 - sin(x2)",
                         "--set", "x1=2", "--set", "x2=5", "--grad", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == {"value", "grad"}
    assert doc["value"] == pytest.approx(11.652071455223084, rel=1e-15)
    assert doc["grad"]["x1"] == pytest.approx(5.5, rel=1e-15)
    assert doc["grad"]["x2"] == pytest.approx(1.7163378145367738, rel=1e-15)


def test_eval_file_uses_default_inputs(capsys):
    code, out, err = run(capsys, "eval", LECTURE, "--grad", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["value"] == pytest.approx(11.652071455223084, rel=1e-15)
    assert doc["grad"] == pytest.approx({"x1": 5.5, "x2": 1.7163378145367738}, rel=1e-14)


def test_eval_set_overrides_file_values(capsys):
    code, out, _ = run(capsys, "eval", LECTURE, "--set", "x1=1", "--set", "x2=0", "--json")
    assert code == 0
    assert json.loads(out) == {"value": 0.0, "grad": {}}


def test_eval_vector_values_and_nested_lists(capsys):
    code, out, err = run(capsys, "eval", "--expr", "sum(x * y)", "--set", "x=[1, 2, 3]",
                         "--set", "y=[[1, 1, 1], [2, 2, 2]]", "--grad", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["value"] == 18.0
    assert doc["grad"]["x"] == [3.0, 3.0, 3.0]
    assert doc["grad"]["y"] == [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]


def test_eval_human_output(capsys):
    code, out, _ = run(capsys, "eval", "--expr", "x * x", "--set", "x=3", "--grad")
    assert code == 0
    assert out.splitlines() == ["value: 9.0", "grad:", "  x: 6.0"]


def test_check_passes_on_examples(capsys):
    for name in ("lecture_function", "logistic_regression", "mlp"):
        code, out, _ = run(capsys, "check", str(EXAMPLES / f"{name}.gsg"))
        assert code == 0, out
        assert "all gradients agree" in out


def test_check_fails_at_relu_kink(capsys):
    # relu'(0) = 0 by convention, central differences see 0.5: the check must say so.
    code, out, _ = run(capsys, "check", "--expr", "relu(x)", "--set", "x=0")
    assert code == 1
    assert "DISAGREE" in out


@pytest.mark.parametrize("argv, message", [
    (["eval", "--expr", "x +", "--set", "x=1"], "column"),
    (["eval", "--expr", "foo(x)", "--set", "x=1"], "foo"),
    (["eval", "--expr", "x * y", "--set", "x=1"], "no value for y"),
    (["eval", "--expr", "x", "--set", "x=[1,"], "not a JSON number"),
    (["eval", "--expr", "x", "--set", "x"], "expected NAME=VALUE"),
    (["eval", "--expr", "x", "--set", 'x="a"'], "not a number"),
    (["eval", "/nonexistent/file.gsg"], "file.gsg"),
    (["eval", "--expr", "x * y", "--set", "x=[1,2]", "--set", "y=[1,2,3]"], "broadcast"),
    (["eval", "--expr", "x * 2", "--set", "x=[1,2]", "--grad"], "single number"),
    (["eval", LECTURE, "--set", "z=1"], "no input named z"),
    (["eval", LECTURE, "--output", "nope"], "no node named"),
])
def test_errors_are_one_line_with_nonzero_exit(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code != 0
    assert out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_bad_files_give_one_clear_error(tmp_path, capsys):
    for content in (b"", b"{\"format\": \"gradstudio-graph\", \"ver", b"\x89PNG\r\n\x1a\n\0\0"):
        f = tmp_path / "bad.gsg"
        f.write_bytes(content)
        code, out, err = run(capsys, "eval", str(f))
        assert code == 1 and "bad.gsg" in err and "Traceback" not in err


def test_console_script_runs_as_a_process():
    proc = subprocess.run([sys.executable, "-m", "gradstudio.cli", "eval", "--expr", "exp(x)",
                           "--set", "x=0", "--json"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"value": 1.0, "grad": {}}


def test_cupy_backend_missing_is_a_clear_error(capsys):
    from gradstudio.engine.backend import cupy_status

    if cupy_status()[0] is not None:
        pytest.skip("a GPU is available here")
    code, _, err = run(capsys, "eval", "--expr", "x", "--set", "x=1", "--backend", "cupy")
    assert code == 1 and "cupy backend is not available" in err
    code, out, err = run(capsys, "eval", "--expr", "x", "--set", "x=1", "--backend", "auto", "--json")
    assert code == 0 and "using numpy" in err and json.loads(out)["value"] == 1.0


def test_train_writes_a_trained_graph_that_reopens(tmp_path, capsys):
    out = tmp_path / "spiral.trained.gsg"
    code, stdout, err = run(capsys, "train", str(EXAMPLES / "spiral.gsg"), "--epochs", "3",
                            "--out", str(out), "--json")
    assert code == 0, err
    result = json.loads(stdout)
    assert result["epochs"] == 3 and Path(result["out"]) == out
    from gradstudio import load

    trained = load(out)
    assert trained.meta["training"]["result"]["epochs"] == 3
    original = load(EXAMPLES / "spiral.gsg")
    changed = [k for k in original.params if not (original.params[k] == trained.params[k]).all()]
    assert changed, "training changed no parameter"


def test_train_bad_usage_names_the_choices(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", str(EXAMPLES / "spiral.gsg"), "--dataset", "nope"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "invalid choice: 'nope'" in err and "Traceback" not in err


def test_train_missing_file_is_one_line(capsys):
    code, out, err = run(capsys, "train", "/nonexistent/g.gsg", "--epochs", "1")
    assert code == 1 and "g.gsg" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_train_progress_bar_and_the_mlp_example_on_its_built_in_data(tmp_path, capsys):
    """examples/mlp.gsg trains as it is (its saved dataset: Blobs, 4 features, 3 classes);
    stderr carries tqdm's bar: steps done, rate, epoch and loss."""
    out = tmp_path / "mlp.trained.gsg"
    code, stdout, err = run(capsys, "train", str(EXAMPLES / "mlp.gsg"), "--epochs", "3",
                            "--out", str(out), "--json")
    assert code == 0, err
    assert json.loads(stdout)["val_accuracy"] > 0.8
    assert "blobs: 480 training + 120 validation samples, 4 features, 3 classes" in err
    assert "100%" in err and "45/45 steps" in err and "step/s" in err and "epoch 3/3" in err
    code, _, err = run(capsys, "train", str(EXAMPLES / "mlp.gsg"), "--epochs", "1", "--out",
                       str(out), "--quiet")
    assert code == 0 and err == ""
