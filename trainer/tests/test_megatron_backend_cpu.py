"""What of the megatron backend runs without a GPU or megatron-core: the lazy import and its error,
--megatron-<flag> routing and validation, and the packed attention math."""

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from physarum_trainer.backends.base import Backend, RankContext  # noqa: E402
from physarum_trainer.errors import BackendUnavailableError, InvalidInputError  # noqa: E402
from physarum_trainer.megatron.attention import packed_causal_attention  # noqa: E402
from physarum_trainer.megatron.backend import MegatronBackend, _lr_at  # noqa: E402
from physarum_trainer.megatron.flags import route_flags  # noqa: E402

TRAINER = Path(__file__).resolve().parents[1]


def test_importing_the_package_and_the_backend_module_never_imports_megatron():
    code = ("import sys; import physarum_trainer, physarum_trainer.losses, physarum_trainer.megatron.backend, "
            "physarum_trainer.megatron.convert; print(any(m == 'megatron' or m.startswith('megatron.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=TRAINER, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_constructing_without_megatron_core_raises_backend_unavailable(monkeypatch):
    monkeypatch.setitem(sys.modules, "megatron", None)  # import megatron -> ImportError, whatever is installed
    monkeypatch.setitem(sys.modules, "megatron.core", None)
    with pytest.raises(BackendUnavailableError) as info:
        MegatronBackend({"backend": "megatron", "model": {"path": "/nowhere"}, "seed": 0}, RankContext())
    assert "megatron-core is not installed" in str(info.value)
    assert info.value.code == "PHYSARUM_TRAINER_BACKEND_UNAVAILABLE"
    assert issubclass(MegatronBackend, Backend)


# Test doubles with the field names of megatron-core's config dataclasses that matter here.
@dataclasses.dataclass
class FakeTransformerConfig:
    num_layers: int = 0
    recompute_granularity: str | None = None
    bf16: bool = False
    attention_softmax_in_fp32: bool = True


@dataclasses.dataclass
class FakeOptimizerConfig:
    lr: float = 1e-4
    bf16: bool = False
    use_distributed_optimizer: bool = False


@dataclasses.dataclass
class FakeDdpConfig:
    use_distributed_optimizer: bool = False
    bucket_size: int | None = None


TARGETS = {"transformer": FakeTransformerConfig, "optimizer": FakeOptimizerConfig, "ddp": FakeDdpConfig}


def test_flags_route_to_every_config_that_has_the_field_and_coerce_strings():
    routed = route_flags({"recompute-granularity": "full", "bf16": "true", "use_distributed_optimizer": True,
                          "--megatron-lr": "3e-4", "attention-softmax-in-fp32": "false"}, TARGETS)
    assert routed["transformer"] == {"recompute_granularity": "full", "bf16": True, "attention_softmax_in_fp32": False}
    assert routed["optimizer"] == {"bf16": True, "use_distributed_optimizer": True, "lr": 3e-4}
    assert routed["ddp"] == {"use_distributed_optimizer": True}
    assert route_flags(None, TARGETS) == {"transformer": {}, "optimizer": {}, "ddp": {}}


def test_unknown_model_owned_or_badly_typed_flags_are_named():
    with pytest.raises(InvalidInputError, match="megatron.recompute-granularty"):
        route_flags({"recompute-granularty": "full"}, TARGETS)
    with pytest.raises(InvalidInputError, match="megatron.num-layers.*config.json"):
        route_flags({"num-layers": 4}, TARGETS)
    with pytest.raises(InvalidInputError, match="megatron.bf16.*bool"):
        route_flags({"bf16": "maybe"}, TARGETS)
    with pytest.raises(InvalidInputError, match="megatron must be an object"):
        route_flags(["bf16"], TARGETS)


def test_packed_attention_never_crosses_sequences_and_matches_naive_attention():
    torch.manual_seed(0)
    cu = [0, 4, 4, 9, 12]
    h, g, d = 4, 2, 8
    q, k, v = torch.randn(12, h, d, dtype=torch.float64), torch.randn(12, g, d, dtype=torch.float64), torch.randn(12, g, d, dtype=torch.float64)
    out = packed_causal_attention(q, k, v, cu, None).view(12, h, d)
    for a, b in zip(cu[:-1], cu[1:]):
        for t in range(a, b):
            for head in range(h):
                kv = head // (h // g)
                scores = torch.stack([q[t, head] @ k[s, kv] / d**0.5 for s in range(a, t + 1)])
                want = (torch.softmax(scores, 0)[:, None] * v[a:t + 1, kv]).sum(0)
                assert torch.allclose(out[t, head], want, atol=1e-12)


def test_learning_rate_schedule_warms_up_then_decays_to_the_floor():
    opt, sched = {"lr": 1.0}, {"warmupSteps": 2, "decaySteps": 4, "minLr": 0.1}
    lrs = [_lr_at(s, opt, sched) for s in range(8)]
    assert lrs[:2] == [0.5, 1.0] and lrs[2] == 1.0 and lrs[-1] == pytest.approx(0.1)
    assert all(a >= b for a, b in zip(lrs[2:], lrs[3:]))
    assert _lr_at(5, {"lr": 0.3}, {}) == 0.3
