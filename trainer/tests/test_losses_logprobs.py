"""Packed per-token log-probs/entropy: equal to log_softmax one sequence at a time and to a plain-loop
float64 reference; response_slices line up with the frame's per-response arrays."""

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from loss_reference import logprobs_and_entropy  # noqa: E402
from physarum_trainer.errors import InvalidInputError  # noqa: E402
from physarum_trainer.losses import (  # noqa: E402
    broadcast_per_sample,
    response_logprobs,
    response_slices,
    token_logprobs_and_entropy,
)

LENGTHS = [5, 1, 8, 3]
V = 11


def packed(seed=0, dtype=torch.float64, pad=0):
    g = torch.Generator().manual_seed(seed)
    total = sum(LENGTHS)
    logits = torch.randn(total + pad, V, generator=g, dtype=dtype) * 3
    tokens = torch.randint(0, V, (total + pad,), generator=g)
    cu = torch.tensor([0] + torch.tensor(LENGTHS).cumsum(0).tolist(), dtype=torch.int32)
    return logits, tokens, cu


@pytest.mark.parametrize("temperature", [1.0, 0.7, 1.6])
@pytest.mark.parametrize("chunk_size", [None, 1, 4, 100])
def test_packed_equals_log_softmax_one_sequence_at_a_time(temperature, chunk_size):
    logits, tokens, cu = packed(pad=3)
    logp, ent = token_logprobs_and_entropy(logits, tokens, cu, temperature, chunk_size=chunk_size)
    assert logp.shape == (logits.shape[0],) and ent.shape == (logits.shape[0],)
    for i in range(len(LENGTHS)):
        a, b = int(cu[i]), int(cu[i + 1])
        lsm = torch.log_softmax(logits[a:b] / temperature, -1)
        want = lsm[:-1].gather(-1, tokens[a + 1:b, None]).squeeze(-1)
        assert torch.allclose(logp[a:b - 1], want, atol=1e-12, rtol=0)
        assert torch.allclose(ent[a:b - 1], -(lsm.exp() * lsm).sum(-1)[:-1], atol=1e-12, rtol=0)
        assert logp[b - 1] == 0 and ent[b - 1] == 0  # the last position scores nothing
    assert torch.count_nonzero(logp[int(cu[-1]):]) == 0  # padding after the last sequence


def test_matches_the_plain_loop_reference():
    logits, tokens, cu = packed(seed=4)
    logp, ent = token_logprobs_and_entropy(logits, tokens, cu, 0.9)
    for i in range(len(LENGTHS)):
        a, b = int(cu[i]), int(cu[i + 1])
        want_lp, want_ent = logprobs_and_entropy(logits[a:b].tolist(), tokens[a:b].tolist(), 0.9)
        for t in range(b - a):
            assert abs(logp[a + t].item() - want_lp[t]) <= 1e-10
            assert abs(ent[a + t].item() - want_ent[t]) <= 1e-10


def test_chunked_gradients_equal_unchunked_and_gradcheck():
    logits, tokens, cu = packed(seed=2)
    w = torch.randn(logits.shape[0], dtype=torch.float64)
    grads = []
    for chunk in (None, 3):
        x = logits.clone().requires_grad_()
        logp, ent = token_logprobs_and_entropy(x, tokens, cu, 1.3, chunk_size=chunk)
        ((logp + 0.5 * ent) * w).sum().backward()
        grads.append(x.grad)
    assert torch.allclose(grads[0], grads[1], atol=1e-12, rtol=0)
    small = logits[:6, :5].clone().requires_grad_()
    small_tokens = tokens[:6] % 5
    small_cu = torch.tensor([0, 4, 6])
    assert torch.autograd.gradcheck(lambda x: token_logprobs_and_entropy(x, small_tokens, small_cu, 0.8, chunk_size=2), (small,))


def test_bf16_logits_are_scored_in_float32_and_temperature_zero_means_one():
    logits, tokens, cu = packed(dtype=torch.float32)
    lp16, _ = token_logprobs_and_entropy(logits.bfloat16(), tokens, cu, 1.0)
    assert lp16.dtype == torch.float32
    lp0, _ = token_logprobs_and_entropy(logits, tokens, cu, 0.0)
    lp1, _ = token_logprobs_and_entropy(logits, tokens, cu, 1.0)
    assert torch.equal(lp0, lp1)
    with pytest.raises(InvalidInputError, match="temperature"):
        token_logprobs_and_entropy(logits, tokens, cu, -1.0)


def test_response_slices_select_the_position_before_each_response_token():
    cu = [0, 5, 6, 14, 17]
    prompt = [2, 1, 5, 1]
    response = [3, 0, 2, 2]
    index = response_slices(cu, prompt, response).tolist()
    want = []
    for i in range(4):
        for j in range(response[i]):
            want.append(cu[i] + prompt[i] - 1 + j)
    assert index == want
    # An oracle whose logits are one-hot of the next token catches any off-by-one.
    tokens = torch.randint(0, V, (17,), generator=torch.Generator().manual_seed(1))
    logits = torch.full((17, V), -30.0, dtype=torch.float64)
    logits[torch.arange(16), tokens[1:]] = 30.0
    lp, _ = response_logprobs(logits, tokens, cu, prompt, response)
    assert lp.shape == (7,) and torch.all(lp > -1e-10)


def test_response_slices_reject_lengths_that_do_not_fit():
    with pytest.raises(InvalidInputError, match="sample 1"):
        response_slices([0, 4, 6], [1, 2], [3, 1])
    with pytest.raises(InvalidInputError, match="sample 0"):
        response_slices([0, 4], [0], [2])
    with pytest.raises(InvalidInputError, match="prompt_lengths"):
        response_slices([0, 4, 6], [1], [3])


def test_broadcast_per_sample_repeats_each_value_over_its_response():
    assert broadcast_per_sample([0.5, -1.0, 2.0], [2, 0, 3]).tolist() == [0.5, 0.5, 2.0, 2.0, 2.0]
