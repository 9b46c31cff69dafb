"""The pure helpers of trainer/gpu_check.py (the script itself needs a GPU and megatron-core)."""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gpu_check  # noqa: E402
from physarum_trainer.losses import response_logprobs  # noqa: E402


def test_relative_error_is_scale_free_and_checks_shapes():
    assert gpu_check.relative_error(np.array([1.0, -2.0]), np.array([1.0, -2.0])) == 0.0
    assert gpu_check.relative_error(np.array([1.0, -2.002]), np.array([1.0, -2.0])) == pytest.approx(1e-3)
    assert gpu_check.relative_error(np.zeros(0), np.zeros(0)) == 0.0
    with pytest.raises(ValueError, match="shapes differ"):
        gpu_check.relative_error(np.zeros(2), np.zeros(3))


def test_synthetic_micro_batch_is_consistent():
    mb = gpu_check.synthetic_micro_batch(50, [(3, 4), (1, 2), (5, 0)], seed=2)
    assert mb.cu_seqlens.tolist() == [0, 7, 10, 15]
    assert len(mb.loss_mask) == len(mb.rollout_log_probs) == 6 and mb.loss_mask.sum() == 5
    assert [len(s.tokens) - s.prompt_len for s in mb.samples()] == [4, 2, 0]
    assert mb.tokens.max() < 50 and mb.advantages.tolist() == [0.5, -1.5, 2.5]


def test_hf_logprobs_one_by_one_equal_packed_response_logprobs_of_a_real_model(tmp_path):
    """The script's reference (per-sequence transformers forward) and the loss module's packed
    alignment agree on a real tiny Qwen3 on CPU."""
    from transformers import AutoModelForCausalLM

    from physarum_trainer.model_init import init_model

    init_model("qwen3", 1, 32, "bytes", 0, tmp_path / "m", heads=2, kv_heads=1)
    model = AutoModelForCausalLM.from_pretrained(str(tmp_path / "m"), dtype=torch.float64).eval()
    mb = gpu_check.synthetic_micro_batch(259, [(4, 6), (1, 3), (6, 5)], seed=3)
    want = gpu_check.hf_logprobs(model, mb, "cpu")
    logits = []
    for s in mb.samples():  # per-sequence logits, concatenated = what a packed forward must produce
        with torch.no_grad():
            logits.append(model(input_ids=torch.tensor(np.asarray(s.tokens), dtype=torch.long)[None]).logits[0])
    got, _ = response_logprobs(torch.cat(logits), torch.tensor(mb.tokens.astype(np.int64)), mb.cu_seqlens,
                               mb.prompt_lengths, mb.response_lengths)
    assert np.allclose(got.numpy(), want, atol=1e-10)


def test_help_runs_without_torch_work(capsys):
    with pytest.raises(SystemExit) as info:
        gpu_check.main(["--help"])
    assert info.value.code == 0 and "--megatron-src" in capsys.readouterr().out
