"""The demo's plot: one PNG of held-out reward per step, a line per eval.jsonl, labels interleaved with files."""
import json

from physarum_trainer import plot_reward


def write_evals(path, rewards, start=0):
    path.write_text("".join(json.dumps({"event": "eval", "step": start + i * 5, "heldout_reward": r}) + "\n" for i, r in enumerate(rewards)))


def test_labels_interleaved_with_files_make_one_png(tmp_path):
    sft, grpo, out = tmp_path / "sft.jsonl", tmp_path / "grpo.jsonl", tmp_path / "reward.png"
    write_evals(sft, [0.0, 0.1, 0.25])
    write_evals(grpo, [0.25, 0.6, 0.9], start=10)
    assert plot_reward.main(["--out", str(out), "--label", "SFT", str(sft), "--label", "GRPO", str(grpo)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_one_label_per_file_or_a_clear_error(tmp_path, capsys):
    sft = tmp_path / "sft.jsonl"
    write_evals(sft, [0.1])
    assert plot_reward.main(["--out", str(tmp_path / "x.png"), "--label", "A", "--label", "B", str(sft)]) != 0
    assert "one --label per file" in capsys.readouterr().err
