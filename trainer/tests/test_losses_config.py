"""LossConfig.from_wire: the contract's defaults, and every unknown key or bad value named."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from physarum_trainer.errors import InvalidInputError  # noqa: E402
from physarum_trainer.losses import LossConfig  # noqa: E402


def test_defaults_follow_the_contract():
    c = LossConfig.from_wire({})
    assert (c.policy_loss, c.eps_clip, c.eps_high, c.dual_clip_c, c.aggregation, c.aggregation_constant) == (
        "ppo", 0.2, 0.2, None, "token_mean", None)
    assert (c.tis.mode, c.tis.clip_low, c.tis.clip_high) == ("off", 0.0, 2.0)
    assert (c.mis.mode, c.mis.low, c.mis.high) == ("off", 0.5, 2.0)
    assert (c.kl.coef, c.kl.type, c.entropy_coef, c.temperature) == (0.0, "k3", 0.0, 1.0)
    assert LossConfig.from_wire(None) == c == LossConfig()


def test_wire_round_trip_and_nested_fields():
    wire = {"policyLoss": "gspo", "epsClip": 0.1, "epsClipHigh": 0.28, "dualClipC": 3, "aggregation": "seq_mean_token_sum_norm",
            "aggregationConstant": 512, "tis": {"mode": "sequence", "clipLow": 0.1, "clipHigh": 3},
            "mis": {"mode": "token", "low": 0.4, "high": 2.5}, "kl": {"coef": 0.01, "type": "k1"}, "entropyCoef": -0.001,
            "temperature": 0.7}
    c = LossConfig.from_wire(wire)
    assert c.eps_high == 0.28 and c.tis.mode == "sequence" and c.kl.type == "k1" and c.dual_clip_c == 3.0
    assert LossConfig.from_wire(c.to_wire()) == c
    assert c.to_wire()["tis"] == {"mode": "sequence", "clipLow": 0.1, "clipHigh": 3.0}


def test_merged_applies_a_partial_override_key_by_key():
    base = LossConfig.from_wire({"tis": {"mode": "token", "clipHigh": 3}, "epsClip": 0.1})
    over = base.merged({"tis": {"clipLow": 0.5}, "kl": {"coef": 0.2}})
    assert (over.tis.mode, over.tis.clip_low, over.tis.clip_high) == ("token", 0.5, 3.0)
    assert over.kl.coef == 0.2 and over.kl.type == "k3" and over.eps_clip == 0.1
    assert base.merged(None) is base and base.tis.clip_low == 0.0
    with pytest.raises(InvalidInputError, match=r"loss\.tis\.clipHigh .* clipLow"):
        base.merged({"tis": {"clipLow": 4}})


@pytest.mark.parametrize(
    "wire,field",
    [
        ({"policyLos": "ppo"}, "loss.policyLos"),
        ({"tis": {"mode": "token", "clip": 2}}, "loss.tis.clip"),
        ({"kl": {"beta": 0.1}}, "loss.kl.beta"),
        ({"policyLoss": "dpo"}, "loss.policyLoss"),
        ({"epsClip": -0.1}, "loss.epsClip"),
        ({"epsClip": "0.2"}, "loss.epsClip"),
        ({"epsClip": True}, "loss.epsClip"),
        ({"epsClipHigh": float("nan")}, "loss.epsClipHigh"),
        ({"dualClipC": 1.0}, "loss.dualClipC"),
        ({"aggregation": "sum"}, "loss.aggregation"),
        ({"aggregationConstant": 0}, "loss.aggregationConstant"),
        ({"tis": {"mode": "clamp"}}, "loss.tis.mode"),
        ({"tis": {"clipLow": 3, "clipHigh": 2}}, "loss.tis.clipHigh"),
        ({"tis": []}, "loss.tis"),
        ({"mis": {"low": -1}}, "loss.mis.low"),
        ({"mis": {"low": 2, "high": 1}}, "loss.mis.high"),
        ({"kl": {"type": "k4"}}, "loss.kl.type"),
        ({"kl": {"coef": -1}}, "loss.kl.coef"),
        ({"entropyCoef": None}, "loss.entropyCoef"),
        ({"temperature": 0}, "loss.temperature"),
    ],
)
def test_unknown_keys_and_bad_values_are_named(wire, field):
    with pytest.raises(InvalidInputError) as info:
        LossConfig.from_wire(wire)
    assert field in str(info.value)
    assert info.value.code == "PHYSARUM_INVALID_INPUT"


def test_not_an_object():
    with pytest.raises(InvalidInputError, match="loss must be an object"):
        LossConfig.from_wire([1])
