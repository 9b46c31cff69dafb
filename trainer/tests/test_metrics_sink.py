"""The metrics sink: metrics.jsonl lines as TensorBoard scalars (read back with TensorBoard's own
event reader), a follow mode that writes lines appended while it runs and stops when stdin closes,
malformed lines skipped with a message, and a W&B offline run directory when wandb imports."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from physarum_trainer import metrics_sink  # noqa: E402

EventAccumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator").EventAccumulator
TRAINER = Path(__file__).resolve().parents[1]


def line(step, reward, loss):
    return json.dumps({"step": step, "mode": "sync", "reward_mean": reward, "train/loss": loss, "time/rollout": 0.25 * step, "replayed": 0}) + "\n"


def scalars(run_dir: Path):
    acc = EventAccumulator(str(run_dir / "tensorboard"))
    acc.Reload()
    return {tag: [(e.step, round(e.value, 6)) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def test_converts_a_finished_run_into_event_files(tmp_path, capsys):
    (tmp_path / "metrics.jsonl").write_text(line(0, 0.1, 0.9) + line(1, 0.35, 0.7) + line(2, 0.5, 0.6))
    assert metrics_sink.main([str(tmp_path)]) == 0
    got = scalars(tmp_path)
    assert got["reward_mean"] == [(0, 0.1), (1, 0.35), (2, 0.5)]
    assert got["train/loss"] == [(0, 0.9), (1, 0.7), (2, 0.6)]
    assert got["time/rollout"] == [(0, 0.0), (1, 0.25), (2, 0.5)]
    assert "mode" not in got and "step" not in got
    assert "3 steps written to tensorboard" in capsys.readouterr().err


def test_a_rerun_rewrites_the_curves_once_and_skips_malformed_lines(tmp_path, capsys):
    (tmp_path / "metrics.jsonl").write_text(line(0, 0.1, 0.9) + "{not json\n" + line(1, 0.2, 0.8) + '{"step": "x"}\n')
    assert metrics_sink.main([str(tmp_path)]) == 0
    assert metrics_sink.main([str(tmp_path)]) == 0
    assert scalars(tmp_path)["reward_mean"] == [(0, 0.1), (1, 0.2)]
    err = capsys.readouterr().err
    assert "line 2 skipped" in err and "line 4 skipped" in err


def test_follow_writes_lines_appended_while_it_runs_and_ends_when_stdin_closes(tmp_path):
    metrics = tmp_path / "metrics.jsonl"
    metrics.write_text(line(0, 0.1, 0.9))
    env = {**os.environ, "PYTHONPATH": str(TRAINER)}
    proc = subprocess.Popen([sys.executable, "-m", "physarum_trainer.metrics_sink", str(tmp_path), "--follow", "--poll", "0.05"], stdin=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    time.sleep(0.3)
    with open(metrics, "a") as f:
        f.write(line(1, 0.4, 0.8))
        f.write(line(2, 0.6, 0.5)[:20])  # half a line: waits for the rest
    with open(metrics, "a") as f:
        f.write(line(2, 0.6, 0.5)[20:])
    proc.stdin.close()
    err = proc.stderr.read()
    proc.wait(timeout=120)
    assert proc.returncode == 0, err.decode()
    assert scalars(tmp_path)["reward_mean"] == [(0, 0.1), (1, 0.4), (2, 0.6)]


def test_missing_run_dir_is_a_clear_error(tmp_path, capsys):
    assert metrics_sink.main([str(tmp_path / "nope")]) == 2
    assert "nope does not exist" in capsys.readouterr().err


def test_wandb_offline_run_directory(tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    monkeypatch.setenv("WANDB_MODE", "offline")
    (tmp_path / "metrics.jsonl").write_text(line(0, 0.1, 0.9) + line(1, 0.2, 0.8))
    assert metrics_sink.main([str(tmp_path), "--no-tensorboard", "--wandb-project", "physarum-test"]) == 0
    runs = list((tmp_path / "wandb").glob("offline-run-*"))
    assert len(runs) == 1 and any(runs[0].glob("*.wandb"))
    assert json.loads((tmp_path / "wandb-logged-step.json").read_text()) == {"step": 1}
