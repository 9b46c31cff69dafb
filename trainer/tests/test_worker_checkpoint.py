"""save -> kill -> load in a fresh worker -> the next step equals an uninterrupted worker's step;
a save killed half-way never loads as good and leaves the previous checkpoint loadable."""
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from frames import encode_frame, random_samples, tiny_init  # noqa: E402
from physarum_trainer.errors import CheckpointError  # noqa: E402
from physarum_trainer.worker import checkpoint_dir  # noqa: E402
from physarum_trainer.worker.service import WorkerService  # noqa: E402
from worker_proc import Worker  # noqa: E402

CFG = tiny_init(optimizer={"lr": 1e-2}, scheduler={"warmupSteps": 3}, lora=None)
CFG.pop("lora")
FRAMES = [encode_frame([[random_samples(np.random.default_rng(seed), 5, vocab=259)]]) for seed in (1, 2)]


def test_resume_equals_uninterrupted_and_killed_save_never_loads(tmp_path):
    reference = WorkerService()
    reference.handle("init", CFG, None)
    reference.handle("train_step", {"step": 0}, FRAMES[0])
    want = reference.handle("train_step", {"step": 1}, FRAMES[1])["metrics"]

    good = tmp_path / "ckpt"
    first = Worker(env={"PHYSARUM_TRAINER_FAULT": "rank=0,verb=save,mode=hang,call=2"})
    try:
        first.ok("init", CFG)
        first.ok("train_step", {"step": 0}, FRAMES[0])
        assert first.ok("save", {"dir": str(good), "step": 1, "cursor": {"taken": [3, 4]}}) == {"dir": str(good.resolve())}
        # A second save over the same directory hangs after writing its files; kill the worker there.
        def doomed_save() -> None:
            try:
                first.call("save", {"dir": str(good), "step": 9, "cursor": None}, timeout=60)
            except OSError:
                pass  # the worker is killed under it

        threading.Thread(target=doomed_save, daemon=True).start()
        deadline = time.monotonic() + 60
        while not any((p / "optim.pt").exists() for p in tmp_path.glob("ckpt.partial-*")):
            assert time.monotonic() < deadline, "the second save never started writing"
            time.sleep(0.05)
    finally:
        first.kill()
    partial = next(tmp_path.glob("ckpt.partial-*"))
    with pytest.raises(CheckpointError, match="not a complete checkpoint"):
        checkpoint_dir.read_manifest(partial)

    second = Worker()
    try:
        second.ok("init", CFG)
        status, error = second.call("load", {"dir": str(partial)})
        assert status == 500 and error["code"] == "PHYSARUM_TRAINER_CHECKPOINT"
        assert second.ok("load", {"dir": str(good)}) == {"step": 1, "cursor": {"taken": [3, 4]}}
        got = second.ok("train_step", {"step": 1}, FRAMES[1])["metrics"]
        assert second.ok("stats")["step"] == 1
    finally:
        assert second.close() == 0
    for key in ("loss", "pg_loss", "grad_norm", "lr", "entropy"):
        assert got[key] == pytest.approx(want[key], abs=1e-6), key
