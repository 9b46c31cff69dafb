"""compute_loss against the plain-loop float64 reference (tests/loss_reference.py) on seeded random
inputs, for every policy loss, aggregation, TIS/MIS mode and KL type; gradients; micro-batch additivity."""

import itertools
import math
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from loss_reference import reference_loss  # noqa: E402
from physarum_trainer.errors import InvalidInputError  # noqa: E402
from physarum_trainer.losses import LossConfig, batch_totals, compute_loss  # noqa: E402
from physarum_trainer.losses.config import KlConfig, MisConfig, TisConfig  # noqa: E402

POLICIES = ("ppo", "gspo", "cispo", "reinforce", "sft")
AGGREGATIONS = ("token_mean", "seq_mean_token_mean", "seq_mean_token_sum_norm")
MODES = ("off", "token", "sequence")
METRICS = ("loss", "pg_loss", "kl_loss", "entropy_loss", "clipfrac", "clipfrac_low", "clipfrac_high", "approx_kl",
           "entropy", "train_rollout_logprob_abs_diff", "tis_weight_mean", "tis_clipfrac", "mis_dropfrac")


def random_batch(seed: int, lengths=(5, 0, 9, 3, 7, 1), spread: float = 0.3):
    """Per-sequence lists: rollout log-probs, a trainer that drifted from them, advantages broadcast
    per sequence (one sequence gets A = 0), masks with holes and one fully masked sequence."""
    g = torch.Generator().manual_seed(seed)
    seqs = []
    for i, n in enumerate(lengths):
        roll = (-torch.rand(n, generator=g, dtype=torch.float64) * 3).tolist()
        new = [r + spread * float(torch.randn((), generator=g, dtype=torch.float64)) for r in roll]
        adv = 0.0 if i == 3 else float(torch.randn((), generator=g, dtype=torch.float64))
        mask = [0.0 if i == 4 else float(torch.rand((), generator=g) > 0.25) for _ in range(n)]
        ent = (torch.rand(n, generator=g, dtype=torch.float64) * 2).tolist()
        ref = [r + 0.2 * float(torch.randn((), generator=g, dtype=torch.float64)) for r in roll]
        seqs.append({"new": new, "roll": roll, "adv": [adv] * n, "mask": mask, "ent": ent, "ref": ref})
    return seqs


def tensors(seqs, requires_grad=False):
    cat = lambda key: torch.tensor([v for s in seqs for v in s[key]], dtype=torch.float64)  # noqa: E731
    new = cat("new").requires_grad_(requires_grad)
    lengths = torch.tensor([len(s["new"]) for s in seqs], dtype=torch.long)
    return dict(new_logp=new, rollout_logp=cat("roll"), advantages=cat("adv"), loss_mask=cat("mask"),
                response_lengths=lengths, entropy=cat("ent"), ref_logp=cat("ref"))


def totals(seqs):
    return dict(batch_tokens=sum(sum(s["mask"]) for s in seqs), batch_sequences=len(seqs),
                batch_max_response_length=max(len(s["new"]) for s in seqs))


def config_for(policy, aggregation, tis, mis, kl_type, index):
    return LossConfig(
        policy_loss=policy, eps_clip=0.15, eps_clip_high=0.25 if index % 2 else None,
        dual_clip_c=3.0 if index % 3 == 0 else None, aggregation=aggregation,
        aggregation_constant=12.0 if index % 4 == 1 else None,
        tis=TisConfig(mode=tis, clip_low=0.1 * (index % 3), clip_high=1.5), mis=MisConfig(mode=mis, low=0.7, high=1.4),
        kl=KlConfig(coef=0.05 * (1 + index % 2), type=kl_type), entropy_coef=0.01 * (index % 3))


CASES = list(itertools.product(POLICIES, AGGREGATIONS, MODES, MODES))


@pytest.mark.parametrize("index,case", list(enumerate(CASES)), ids=["-".join(c) for c in CASES])
def test_compute_loss_matches_float64_reference(index, case):
    policy, aggregation, tis, mis = case
    cfg = config_for(policy, aggregation, tis, mis, ("k1", "k2", "k3")[index % 3], index)
    seqs = random_batch(1000 + index, spread=0.4 if index % 2 else 0.15)
    want_loss, want = reference_loss(seqs, cfg, **{k: v for k, v in zip(("batch_tokens", "batch_sequences", "max_response_length"), totals(seqs).values())})
    t = tensors(seqs)
    loss, got = compute_loss(t.pop("new_logp"), t.pop("rollout_logp"), t.pop("advantages"), t.pop("loss_mask"),
                             t.pop("response_lengths"), cfg, **t, **totals(seqs))
    assert loss.dtype == torch.float64
    assert abs(loss.item() - want_loss) <= 1e-10
    for name in METRICS:
        assert abs(got[name].item() - want[name]) <= 1e-10, (name, got[name].item(), want[name])
    assert ("sft_loss" in got) == (policy == "sft")
    if policy == "sft":
        assert abs(got["sft_loss"].item() - want["sft_loss"]) <= 1e-10


def test_reference_cases_exercise_clipping_and_masking():
    """The random inputs above are not degenerate: clipping, TIS clamps and MIS drops all happen."""
    seen = {"clipfrac_low": 0.0, "clipfrac_high": 0.0, "tis_clipfrac": 0.0, "mis_dropfrac": 0.0}
    for index in range(8):
        seqs = random_batch(1000 + index, spread=0.4)
        cfg = LossConfig(eps_clip=0.1, tis=TisConfig(clip_low=0.8, clip_high=1.2), mis=MisConfig(low=0.8, high=1.2))
        _, _, m = run(seqs, cfg)
        for k in ("clipfrac_low", "clipfrac_high", "tis_clipfrac", "mis_dropfrac"):
            seen[k] = max(seen[k], m[k].item())
    assert all(v > 0 for v in seen.values()), seen


def run(seqs, cfg, requires_grad=False, whole=None):
    t = tensors(seqs, requires_grad)
    new = t.pop("new_logp")
    loss, metrics = compute_loss(new, t.pop("rollout_logp"), t.pop("advantages"), t.pop("loss_mask"),
                                 t.pop("response_lengths"), cfg, **t, **totals(whole or seqs))
    return new, loss, metrics


@pytest.mark.parametrize("aggregation", AGGREGATIONS)
@pytest.mark.parametrize("policy", POLICIES)
def test_micro_batches_sum_to_the_whole_batch(policy, aggregation):
    cfg = LossConfig(policy_loss=policy, aggregation=aggregation, eps_clip_high=0.3, dual_clip_c=2.5,
                     tis=TisConfig(mode="sequence"), mis=MisConfig(mode="token", low=0.6, high=1.6),
                     kl=KlConfig(coef=0.1, type="k3"), entropy_coef=0.02)
    seqs = random_batch(7, spread=0.3)
    new, loss, metrics = run(seqs, cfg, requires_grad=True)
    loss.backward()
    for split in ([2, 4], [1, 3, 5], [3]):
        bounds = [0] + split + [len(seqs)]
        grads, summed = [], {k: 0.0 for k in metrics}
        total_loss = 0.0
        for a, b in zip(bounds, bounds[1:]):
            new_i, loss_i, m_i = run(seqs[a:b], cfg, requires_grad=True, whole=seqs)
            loss_i.backward()
            grads.append(new_i.grad)
            total_loss += loss_i.item()
            for k in summed:
                summed[k] += m_i[k].item()
        assert abs(total_loss - loss.item()) <= 1e-12
        assert torch.allclose(torch.cat(grads), new.grad, atol=1e-12, rtol=0)
        for k in metrics:
            assert abs(summed[k] - metrics[k].item()) <= 1e-12, k


def test_batch_totals_counts_trainable_tokens_sequences_and_longest_response():
    class MB:
        def __init__(self, mask, lengths):
            self.loss_mask, self.response_lengths = mask, lengths
    got = batch_totals([MB([1, 0, 1], [2, 1]), MB([1, 1, 1, 1, 0], [5])])
    assert (got.tokens, got.sequences, got.max_response_length) == (6.0, 3, 5)
    assert got.as_kwargs()["batch_max_response_length"] == 5


@pytest.mark.parametrize("policy", ("ppo", "gspo", "reinforce", "sft"))
def test_gradcheck_policy_losses(policy):
    """Losses without stop-gradients: autograd equals finite differences (with KL and entropy terms)."""
    seqs = random_batch(11, lengths=(4, 3, 5), spread=0.3)
    t = tensors(seqs)
    cfg = LossConfig(policy_loss=policy, eps_clip_high=0.28, dual_clip_c=3.0, aggregation="seq_mean_token_mean",
                     kl=KlConfig(coef=0.2, type="k3"), entropy_coef=0.1)

    def f(new, ent):
        return compute_loss(new, t["rollout_logp"], t["advantages"], t["loss_mask"], t["response_lengths"], cfg,
                            entropy=ent, ref_logp=t["ref_logp"], **totals(seqs))[0]

    assert torch.autograd.gradcheck(f, (t["new_logp"].clone().requires_grad_(), t["entropy"].clone().requires_grad_()))


def test_cispo_gradient_flows_only_through_logp():
    """d/dlogp of −sg(clip(r))·A·logp under token_mean is −clip(r)·A·mask / tokens."""
    seqs = random_batch(5, spread=0.5)
    cfg = LossConfig(policy_loss="cispo", eps_clip=0.1, eps_clip_high=0.2)
    new, loss, _ = run(seqs, cfg, requires_grad=True)
    loss.backward()
    t = tensors(seqs)
    r = torch.exp(t["new_logp"] - t["rollout_logp"]).clamp(0.9, 1.2)
    expected = -r * t["advantages"] * t["loss_mask"] / totals(seqs)["batch_tokens"]
    assert torch.allclose(new.grad, expected, atol=1e-14, rtol=0)


@pytest.mark.parametrize("level", ("token", "sequence"))
def test_tis_weight_has_no_gradient_and_scales_the_policy_gradient(level):
    """With TIS the ratio's old policy is the trainer's own detached log-prob: PPO's gradient is then
    −w·A·mask/tokens, w the (constant) clamped train/rollout ratio."""
    seqs = random_batch(9, spread=0.5)
    cfg = LossConfig(tis=TisConfig(mode=level, clip_low=0.2, clip_high=1.7))
    new, loss, m = run(seqs, cfg, requires_grad=True)
    loss.backward()
    t = tensors(seqs)
    d = (t["new_logp"] - t["rollout_logp"]) * t["loss_mask"]
    if level == "sequence":
        d = torch.repeat_interleave(torch.stack([x.sum() for x in d.split(t["response_lengths"].tolist())]), t["response_lengths"])
    w = torch.exp(d).clamp(0.2, 1.7)
    expected = -w * t["advantages"] * t["loss_mask"] / totals(seqs)["batch_tokens"]
    assert torch.allclose(new.grad, expected, atol=1e-14, rtol=0)
    assert m["clipfrac"].item() == 0.0


def test_closed_forms():
    """On-policy PPO is −mean(A); A = 0 gives no gradient; GSPO's ratio is the geometric mean; k3 ≥ 0."""
    seqs = random_batch(3)
    for s in seqs:
        s["new"] = list(s["roll"])
    new, loss, m = run(seqs, LossConfig(), requires_grad=True)
    t = tensors(seqs)
    assert math.isclose(loss.item(), -(t["advantages"] * t["loss_mask"]).sum().item() / totals(seqs)["batch_tokens"], abs_tol=1e-14)
    assert m["clipfrac"].item() == 0 and m["approx_kl"].item() == 0 and m["train_rollout_logprob_abs_diff"].item() == 0
    assert m["tis_weight_mean"].item() == pytest.approx(1.0) and m["mis_dropfrac"].item() == 0
    for s in seqs:
        s["adv"] = [0.0] * len(s["adv"])
    new, loss, _ = run(seqs, LossConfig(policy_loss="gspo"), requires_grad=True)
    loss.backward()
    assert torch.count_nonzero(new.grad) == 0
    seqs = random_batch(4, spread=1.0)
    _, _, m = run(seqs, LossConfig(kl=KlConfig(coef=1.0, type="k3")))
    assert m["kl_loss"].item() >= 0


def test_missing_inputs_and_bad_shapes_are_named():
    seqs = random_batch(1)
    t = tensors(seqs)
    with pytest.raises(InvalidInputError, match="entropyCoef"):
        compute_loss(t["new_logp"], t["rollout_logp"], t["advantages"], t["loss_mask"], t["response_lengths"],
                     LossConfig(entropy_coef=0.1), **totals(seqs))
    with pytest.raises(InvalidInputError, match="kl.coef"):
        compute_loss(t["new_logp"], t["rollout_logp"], t["advantages"], t["loss_mask"], t["response_lengths"],
                     LossConfig(kl=KlConfig(coef=0.1)), **totals(seqs))
    with pytest.raises(InvalidInputError, match="advantages"):
        compute_loss(t["new_logp"], t["rollout_logp"], t["advantages"][:-1], t["loss_mask"], t["response_lengths"],
                     LossConfig(), **totals(seqs))
    with pytest.raises(InvalidInputError, match="response_lengths"):
        compute_loss(t["new_logp"], t["rollout_logp"], t["advantages"], t["loss_mask"], t["response_lengths"] + 1,
                     LossConfig(), **totals(seqs))
