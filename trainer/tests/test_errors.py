"""The trainer's error codes are the project's (tests/vectors/error-codes.json, kept equal to
src/protocol/errors.ts by tests/protocol/error-codes.test.ts), and the older classes share the base."""

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from physarum_trainer import batch, errors, protocol  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CODES = set(json.loads((ROOT / "tests" / "vectors" / "error-codes.json").read_text())["codes"])


def test_every_code_the_python_package_uses_is_a_shared_code():
    used = set()
    for path in (ROOT / "trainer" / "physarum_trainer").rglob("*.py"):
        used |= set(re.findall(r"[\"'](PHYSARUM_[A-Z_]+)[\"']", path.read_text()))
    assert errors.PhysarumTrainerError.code in used
    assert used <= CODES, sorted(used - CODES)
    assert {cls.code for cls in errors.ERROR_CLASSES} <= CODES


def test_classes_have_distinct_codes_and_caller_faults_are_4xx():
    codes = [cls.code for cls in errors.ERROR_CLASSES]
    assert len(codes) == len(set(codes))
    assert errors.InvalidInputError.http_status == 400 and errors.WireError.http_status == 400
    assert errors.NotInitializedError.http_status // 100 == 4 and errors.RankFailedError.http_status == 500


def test_wire_form_carries_rank_and_verb():
    err = errors.RankFailedError("rank 3 timed out after 60 s", rank=3, verb="train_step")
    assert err.to_wire() == {"code": "PHYSARUM_TRAINER_RANK_FAILED", "message": "rank 3 timed out after 60 s",
                             "rank": 3, "verb": "train_step"}
    assert errors.TrainerError("x").to_wire()["rank"] is None


def test_batch_and_sample_errors_are_trainer_errors_with_their_old_codes():
    assert batch.WireError is errors.WireError
    assert issubclass(batch.WireError, ValueError) and batch.WireError("x").code == "PHYSARUM_WIRE"
    assert issubclass(protocol.SampleValidationError, errors.InvalidInputError)
    assert protocol.SampleValidationError("x").code == "PHYSARUM_INVALID_INPUT"
