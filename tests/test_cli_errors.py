"""Bad input to the entry points ends with one 'error: ...' line (exit 2 where the entry point returns a code)."""

import pytest

from experiments import bench_train, evaluate, verify_synthetic


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


def test_train_reports_bad_budgets_and_unreadable_input_in_one_line_and_writes_no_config(tmp_path, capsys):
    from experiments import train as train_cli

    empty = tmp_path / "empty_corpus"
    empty.mkdir()
    cases = [
        (["--tokens", "-5"], "error: train.steps=0 and train.tokens=-5: neither may be negative"),
        (["--tokens", "4096", "--set", "data.corpus=shards"], "error: data.corpus=shards needs data.corpus_dir"),
        (["--tokens", "4096", "--set", "data.corpus=shards", "--set", f"data.corpus_dir={empty}"],
         "error: no train shards for language 'python'"),
        (["--tokens", "4096", "--set", "data.mixture=python:0.5"], "error: mixture item 'python:0.5' is not"),
        (["--tokens", "4096", "--set", "data.mixture=python=0.5,cobol=0.5"], "error: unknown language 'cobol'"),
        (["--tokens", "4096", "--num-processes", "2", "--process-id", "5"], "error: pass all of --coordinator-address"),
    ]
    for extra, message in cases:
        workdir = tmp_path / "run"
        assert train_cli.main(["--model", "micro-0.1m", "--language", "python", "--workdir", str(workdir), *extra]) == 2
        err = capsys.readouterr().err
        assert err.startswith(message), (extra, err)
        # No config.json: the corrected command in the same run dir starts the run, not "a different config".
        assert not (workdir / "config.json").exists(), extra


def test_verify_synthetic_names_an_unknown_language():
    with pytest.raises(SystemExit, match="^error: unknown language 'cobol'"):
        verify_synthetic.main(["--programs", "1", "--languages", "python,cobol"])


def _rust_corpus(root):
    """A two-split rust corpus with a manifest (one shard per split)."""
    from codescale_jax.data import shards
    from codescale_jax.io_utils import atomic_write_json

    docs = [f"fn f{i}() -> u32 {{ {i} }}\n" * 8 for i in range(400)]
    manifest = {"languages": {"rust": {"splits": {}}}}
    for split, part in (("train", docs[:360]), ("validation", docs[360:])):
        infos = shards.write_split(root / "rust", split, part, target_shard_bytes=1 << 30, corpus_root=root)
        manifest["languages"]["rust"]["splits"][split] = {"shards": [vars(i) for i in infos],
                                                          "documents": len(part)}
    atomic_write_json(root / "manifest.json", manifest)


def _damage(shard):
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped bit pattern inside one record's block
    shard.write_bytes(bytes(data))


def test_train_stops_on_a_damaged_shard_before_its_first_step(tmp_path, capsys):
    from experiments import train as train_cli

    root = tmp_path / "corpus"
    _rust_corpus(root)
    _damage(root / "rust" / "train-00000-of-00001.array_record")
    argv = ["--model", "micro-0.1m", "--language", "rust", "--tokens", "4096", "--workdir", str(tmp_path / "run"),
            "--set", "data.corpus=shards", "--set", f"data.corpus_dir={root}"]
    assert train_cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: shard ") and "does not match its manifest checksum" in err, err
    assert not (tmp_path / "run" / "config.json").exists()


def test_shard_checksums_are_hashed_once_per_process_until_the_file_changes(tmp_path, monkeypatch):
    from codescale_jax.data import shards

    path = tmp_path / "x.bin"
    path.write_bytes(b"abc")
    calls = []
    real = shards.sha256_file
    monkeypatch.setattr(shards, "sha256_file", lambda p: calls.append(p) or real(p))
    first = shards._checksum(path)
    assert shards._checksum(path) == first and len(calls) == 1
    path.write_bytes(b"abcd")  # new size (and time): hashed again
    assert shards._checksum(path) != first and len(calls) == 2


def test_a_finished_run_with_a_damaged_corpus_or_config_json(tmp_path, capsys):
    """Evaluation records a damaged validation shard as that language's error, as it does a missing
    corpus; a truncated config.json is one line from evaluate and from train, naming the file."""
    import json

    from experiments import train as train_cli

    root = tmp_path / "corpus"
    _rust_corpus(root)
    run = tmp_path / "run"
    argv = ["--model", "micro-0.1m", "--language", "rust", "--workdir", str(run), "--set", "train.steps=2",
            "--set", "data.corpus=shards", "--set", f"data.corpus_dir={root}", "--set", "data.seq_len=64",
            "--set", "train.batch_size=8", "--set", "data.eval_tokens=512", "--set", "train.tensorboard=false"]
    assert train_cli.main(argv) == 0
    capsys.readouterr()
    _damage(root / "rust" / "validation-00000-of-00001.array_record")
    out = tmp_path / "loss.json"
    assert evaluate.main(["--run", str(run), "--suite", "loss", "--out", str(out)]) == 0
    assert "does not match its manifest checksum" in json.loads(out.read_text())["languages"]["rust"]["error"]
    assert "Traceback" not in capsys.readouterr().err

    cfg = run / "config.json"
    cfg.write_text(cfg.read_text()[:40])  # cut mid-file, as a full disk leaves it
    assert evaluate.main(["--run", str(run), "--suite", "loss", "--out", str(tmp_path / "again.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {cfg}: not valid JSON") and "Traceback" not in err, err
    assert train_cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {cfg}: not valid JSON") and "another --workdir" in err, err


def test_every_input_error_is_one_class_and_keeps_its_builtin_base():
    """Entry points catch :class:`InputError`; callers that catch the built-in base still work."""
    from codescale_jax import config, errors, languages
    from codescale_jax.data import corpus_build, corpus_sources, input as input_lib, pipeline_mixture, pipeline_pairs, shards
    from codescale_jax.eval import checkpoint_io, translation
    from codescale_jax.export import hf
    from codescale_jax.laws import presets
    from codescale_jax.parallel import distributed, mesh
    from codescale_jax.study import results, stages

    expected = {
        stages.CorpusNotBuiltError: RuntimeError,
        config.ConfigError: ValueError, mesh.MeshError: ValueError, languages.UnknownLanguageError: ValueError,
        shards.CorruptShardError: RuntimeError, shards.MissingCorpusError: FileNotFoundError,
        pipeline_mixture.MixtureError: ValueError, pipeline_pairs.PairingError: ValueError,
        results.ResultsError: ValueError, checkpoint_io.RunDirError: FileNotFoundError,
        corpus_sources.SourceError: ValueError, hf.ExportError: ValueError, translation.ParallelSetError: ValueError,
        corpus_build.CorpusExistsError: FileExistsError, presets.IncompletePresetError: ValueError,
        distributed.DistributedError: ValueError, errors.EmptyCorpusError: ValueError,
    }
    for cls, base in expected.items():
        assert issubclass(cls, errors.InputError) and issubclass(cls, base), cls
    # One empty-corpus error, whether the corpus is being built or read.
    assert corpus_build.EmptyCorpusError is input_lib.EmptyCorpusError is errors.EmptyCorpusError


def test_a_study_or_probe_before_its_corpus_is_built_names_the_build_command(tmp_path, capsys, monkeypatch):
    """real-micro reads the registries corpus, which is built by hand: without it, reproduce and
    probe_laws end with one line giving the build command, write no run directory and show no traceback."""
    from experiments import probe_laws, reproduce

    monkeypatch.chdir(tmp_path)  # no artifacts/corpus/registries here
    assert reproduce.main(["--preset", "real-micro", "--out", str(tmp_path / "study")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "experiments.build_corpus --recipe registries" in err, err
    assert "Traceback" not in err and not (tmp_path / "study").exists()
    assert probe_laws.main(["--out", str(tmp_path / "probe"), "--like", "real-micro", "--languages", "rust,go"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "experiments.build_corpus --recipe registries" in err, err
    assert not (tmp_path / "probe").exists()


def test_bench_pipeline_names_a_corpus_without_the_language_or_an_unknown_one(tmp_path, capsys):
    from experiments import bench_pipeline

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "manifest.json").write_text("{}")
    assert bench_pipeline.main(["--corpus-dir", str(corpus), "--tokens", "1e4"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no train shards for language 'python'") and "Traceback" not in err
    assert bench_pipeline.main(["--corpus-dir", str(corpus), "--mixture", "cobol=1"]) == 2
    assert capsys.readouterr().err.startswith("error: unknown language 'cobol'")
