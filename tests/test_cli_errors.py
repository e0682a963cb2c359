"""Bad input to the evaluation and benchmark entry points ends with one 'error: ...' line, exit 2."""

from experiments import bench_train, evaluate


def test_evaluate_names_a_missing_run_dir_and_an_unknown_language(tmp_path, capsys):
    assert evaluate.main(["--run", str(tmp_path / "absent"), "--suite", "loss"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "has no config.json" in err and "Traceback" not in err
    assert evaluate.main(["--suite", "canonical", "--languages", "cobol"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown language 'cobol'")


def test_bench_train_names_an_unknown_model_or_a_mesh_too_big(capsys):
    assert bench_train.main(["--model", "micro-9m"]) == 2
    assert capsys.readouterr().err.startswith("error: unknown model 'micro-9m'")
    assert bench_train.main(["--model", "micro-0.1m", "--set", "mesh.data=64"]) == 2
    assert "needs 64 devices" in capsys.readouterr().err


def test_bench_train_names_an_unknown_cpu_matmul_library(capsys):
    assert bench_train.main(["--model", "micro-0.1m", "--set", "mesh.data=1", "--set", "train.cpu_matmuls=mkl"]) == 2
    assert capsys.readouterr().err.startswith("error: train.cpu_matmuls='mkl'; use one of ynnpack, eigen")
