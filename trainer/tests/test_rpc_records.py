"""worker/records.py mirrors src/protocol/trainer-rpc.ts: same normalised records and the same
rejections (naming the same field) on every case of tests/vectors/trainer-rpc.json."""
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from physarum_trainer.worker.records import InvalidRecord, parse  # noqa: E402

VECTORS = json.loads((Path(__file__).resolve().parents[2] / "tests" / "vectors" / "trainer-rpc.json").read_text())["cases"]


@pytest.mark.parametrize("case", VECTORS, ids=[f"{c['record']}: {c['description']}" for c in VECTORS])
def test_python_records_agree_with_zod(case):
    if case["valid"]:
        assert parse(case["record"], case["input"]) == case["parsed"]
    else:
        with pytest.raises(InvalidRecord) as caught:
            parse(case["record"], case["input"])
        assert str(caught.value).startswith(case["error"]), str(caught.value)


def test_vectors_cover_every_record():
    assert {c["record"] for c in VECTORS} >= {"WorkerInitConfig", "LossConfig", "TrainStepArgs", "SaveArgs", "ExportWeightsArgs"}
