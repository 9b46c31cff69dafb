"""Two ranks under torchrun (gloo on CPU): a data-parallel step equals the single-process step on
the same frame, a checkpoint from one rank loads on two, and a rank that raises fails the step with
PHYSARUM_TRAINER_RANK_FAILED naming it (no hang), after which the worker keeps working."""
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from frames import encode_frame, random_samples, tiny_init  # noqa: E402
from physarum_trainer.worker.service import WorkerService  # noqa: E402
from worker_proc import Worker  # noqa: E402

CFG = tiny_init(optimizer={"lr": 1e-2})
SAMPLES = random_samples(np.random.default_rng(5), 6, vocab=259)
DP2 = encode_frame([[SAMPLES[:2], SAMPLES[2:3]], [SAMPLES[3:5], SAMPLES[5:]]])
DP1 = encode_frame([[SAMPLES[:3], SAMPLES[3:]]])


def test_two_ranks_match_one_and_name_a_failing_rank(tmp_path):
    single = WorkerService()
    single.handle("init", CFG, None)
    want = [single.handle("train_step", {"step": i}, DP1)["metrics"] for i in range(2)]
    single.handle("save", {"dir": str(tmp_path / "one-rank"), "step": 2, "cursor": 7}, None)
    want_next = single.handle("train_step", {"step": 2}, DP1)["metrics"]
    want_logp = single.handle("compute_logprobs", {}, DP1)

    worker = Worker(nproc=2, env={"PHYSARUM_TRAINER_FAULT": "rank=1,verb=train_step,mode=raise,call=3",
                                  "PHYSARUM_TRAINER_RANK_TIMEOUT_S": "60"})
    try:
        assert worker.ok("init", CFG)["worldSize"] == 2
        got = [worker.ok("train_step", {"step": i}, DP2 if i == 0 else DP1)["metrics"] for i in range(2)]
        for g, w in zip(got, want):
            for key in ("loss", "pg_loss", "grad_norm", "entropy", "clipfrac"):
                assert g[key] == pytest.approx(w[key], abs=1e-6), key
        status, error = worker.call("train_step", {"step": 2}, DP2)
        assert status == 500
        assert error["code"] == "PHYSARUM_TRAINER_RANK_FAILED" and error["rank"] == 1 and error["verb"] == "train_step"
        assert "injected fault on rank 1" in error["message"]
        # The failed step changed nothing; a checkpoint written by one rank loads on two.
        assert worker.ok("load", {"dir": str(tmp_path / "one-rank")}) == {"step": 2, "cursor": 7}
        after = worker.ok("train_step", {"step": 2}, DP2)["metrics"]
        assert after["loss"] == pytest.approx(want_next["loss"], abs=1e-6)
        logp = worker.ok("compute_logprobs", {}, DP2)
        assert logp["rolloutIds"] == [s["rid"] for s in SAMPLES]
    finally:
        code = worker.close()
    assert code == 0
    import msgpack

    single_ids = msgpack.unpackb(want_logp)["rolloutIds"]
    assert sorted(single_ids) == sorted(logp["rolloutIds"])
