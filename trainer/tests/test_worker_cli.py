"""The worker process's edges: no token beyond loopback is refused at start, a given token is
enforced, SIGTERM exits 0, and stdin EOF (the parent died) ends it."""
import os
import signal
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from physarum_trainer.worker.__main__ import is_loopback  # noqa: E402
from worker_proc import ROOT, Worker  # noqa: E402


def test_loopback_detection():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.1.2.3")


def test_refuses_a_public_bind_without_a_token():
    env = {**os.environ, "PYTHONPATH": str(ROOT / "trainer")}
    env.pop("PHYSARUM_WORKER_TOKEN", None)
    done = subprocess.run([sys.executable, "-m", "physarum_trainer.worker", "--host", "0.0.0.0"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "not loopback; set a token in $PHYSARUM_WORKER_TOKEN" in done.stderr
    assert done.stdout == ""


def test_token_is_enforced_and_sigterm_and_stdin_eof_end_it():
    worker = Worker(env={"PHYSARUM_WORKER_TOKEN": "s3cret"})
    try:
        status, error = worker.call("stats", {})
        assert status == 401 and "token" in error["message"]
        worker.proc.send_signal(signal.SIGTERM)
        assert worker.proc.wait(timeout=30) == 0
    finally:
        if worker.proc.poll() is None:
            worker.kill()
    second = Worker()
    second.proc.stdin.close()
    assert second.proc.wait(timeout=30) == 0
    assert "stdin closed" in second.proc.stderr.read().decode()


def test_init_threads_reach_torch():
    worker = Worker(env={"OMP_NUM_THREADS": "1"})
    try:
        tiny = {"backend": "torch_hf", "model": {"tiny": {"layers": 1, "hidden": 16, "seed": 0}}, "device": "cpu", "seed": 0}
        assert worker.ok("init", tiny)["threads"] == 1  # torch's default here: OMP_NUM_THREADS
        assert worker.ok("init", {**tiny, "threads": 2})["threads"] == 2
        status, error = worker.call("init", {**tiny, "threads": 0})
        assert status == 400 and error["message"].startswith("threads")
    finally:
        worker.close()
