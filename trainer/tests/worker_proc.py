"""Test helper: a real worker process (plain or under torchrun) and a tiny JSON/frame client."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import msgpack

ROOT = Path(__file__).resolve().parents[2]


class Worker:
    def __init__(self, nproc: int = 1, env: dict[str, str] | None = None) -> None:
        cmd = [sys.executable, "-m", "physarum_trainer.worker", "--port", "0"]
        if nproc > 1:
            cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(nproc), "--no-python",
                   sys.executable, "-m", "physarum_trainer.worker", "--port", "0"]
        full_env = {**os.environ, "PYTHONPATH": str(ROOT / "trainer"), "OMP_NUM_THREADS": "1", **(env or {})}
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("PHYSARUM_WORKER_READY "):
            self.proc.kill()
            raise RuntimeError(f"no READY line: {line!r} {self.proc.stderr.read().decode()[-3000:]}")
        self.url = json.loads(line.split(" ", 1)[1])["url"]

    def call(self, verb: str, args: Any = None, frame: bytes | None = None, timeout: float = 300) -> tuple[int, Any]:
        if frame is not None:
            req = urllib.request.Request(f"{self.url}/v1/{verb}", data=frame, method="POST", headers={
                "content-type": "application/vnd.physarum.trainer-batch", "physarum-args": json.dumps(args or {})})
        else:
            req = urllib.request.Request(f"{self.url}/v1/{verb}", data=json.dumps(args or {}).encode(), method="POST",
                                         headers={"content-type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as res:
                body = res.read()
                if res.headers.get("content-type", "").startswith("application/msgpack"):
                    return res.status, msgpack.unpackb(body)
                return res.status, json.loads(body)["result"]
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())["error"]

    def ok(self, verb: str, args: Any = None, frame: bytes | None = None) -> Any:
        status, body = self.call(verb, args, frame)
        assert status == 200, (verb, status, body)
        return body

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()

    def close(self) -> int:
        if self.proc.poll() is None:
            try:
                self.call("shutdown", {}, timeout=30)
            except Exception:  # noqa: BLE001
                pass
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()
            return -9
