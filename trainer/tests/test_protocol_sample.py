"""The Python Sample mirror agrees with the TypeScript schema on every shared vector."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from physarum_trainer.protocol import Sample, SampleValidationError  # noqa: E402

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"
SAMPLE_VECTORS = sorted(VECTORS.glob("sample-*.json"))


def test_vectors_exist():
    names = {p.stem for p in SAMPLE_VECTORS}
    assert {"sample-minimal", "sample-multi-turn", "sample-invalid-status"} <= names


@pytest.mark.parametrize("path", SAMPLE_VECTORS, ids=lambda p: p.stem)
def test_sample_vector(path):
    vector = json.loads(path.read_text())
    if vector["valid"]:
        sample = Sample.from_dict(vector["input"])
        assert sample.to_dict() == vector["parsed"]
        # And the parsed form is a fixed point.
        assert Sample.from_dict(vector["parsed"]).to_dict() == vector["parsed"]
    else:
        with pytest.raises(SampleValidationError) as err:
            Sample.from_dict(vector["input"])
        assert vector["error"] in str(err.value)
        assert err.value.code == "PHYSARUM_INVALID_INPUT"


def load(name):
    return json.loads((VECTORS / f"{name}.json").read_text())["input"]


def test_snake_case_fields_and_helpers():
    s = Sample.from_dict(load("sample-multi-turn"))
    assert (s.group_index, s.rollout_id, s.response_length, s.prompt_length) == (4, "r-17", 9, 4)
    assert s.loss_mask == [1, 1, 1, 0, 0, 0, 0, 1, 1]
    assert s.rewards == {"correct": 1, "format": 0.5, "turns_used": 2}
    assert not s.is_infrastructure_failure
    assert Sample.from_dict(load("sample-env-error")).is_infrastructure_failure


@pytest.mark.parametrize(
    "patch, field",
    [
        ({"lossMask": [True, 1]}, "lossMask.0"),
        ({"reward": True}, "reward"),
        ({"rolloutLogProbs": [float("nan"), 0.0]}, "rolloutLogProbs.0"),
        ({"rolloutId": ""}, "rolloutId"),
        ({"prompt": [{"role": "robot", "content": "hi"}]}, "prompt.0.role"),
        ({"spans": [{"kind": "prompt", "start": 0, "end": 1}]}, "spans.0.turn"),
    ],
)
def test_edges_name_the_field(patch, field):
    with pytest.raises(SampleValidationError, match=field.replace(".", r"\.")):
        Sample.from_dict({**load("sample-minimal"), **patch})


def test_reward_is_required_but_may_be_null():
    data = load("sample-minimal")
    del data["reward"]
    with pytest.raises(SampleValidationError, match="reward"):
        Sample.from_dict(data)
    assert Sample.from_dict({**data, "reward": None}).reward is None
