"""An independent float64 reference of the loss module, in plain Python loops over sequences and
tokens (math on Python floats, no torch). The tests compare physarum_trainer.losses against it."""

from __future__ import annotations

import math


def clamp(x: float, lo: float, hi: float) -> float:
    return min(max(x, lo), hi)


def logprobs_and_entropy(logits_rows: list[list[float]], tokens: list[int], temperature: float):
    """One sequence: position t scores token t+1; the last position scores nothing (0, 0)."""
    logp, ent = [], []
    for t, row in enumerate(logits_rows):
        if t + 1 >= len(tokens):
            logp.append(0.0)
            ent.append(0.0)
            continue
        x = [v / temperature for v in row]
        m = max(x)
        z = sum(math.exp(v - m) for v in x)
        lse = m + math.log(z)
        logp.append(x[tokens[t + 1]] - lse)
        ent.append(-sum(math.exp(v - lse) * (v - lse) for v in x))
    return logp, ent


def reduce(values, masks, cfg, batch_tokens, batch_sequences, constant, counts=None):
    """values/masks: per-sequence lists. See aggregate.py's doc for the three modes."""
    if cfg.aggregation == "token_mean":
        total = 0.0
        for vs, ms in zip(values, masks):
            for v, m in zip(vs, ms):
                total += v * m
        return total / max(batch_tokens, 1.0)
    total = 0.0
    for i, (vs, ms) in enumerate(zip(values, masks)):
        s = 0.0
        for v, m in zip(vs, ms):
            s += v * m
        if cfg.aggregation == "seq_mean_token_mean":
            den = counts[i] if counts is not None else sum(ms)
            total += s / max(den, 1.0)
        else:
            total += s / constant
    return total / max(batch_sequences, 1)


def kl(new: float, ref: float, kind: str) -> float:
    r = new - ref
    if kind == "k1":
        return r
    if kind == "k2":
        return r * r / 2
    return math.exp(-r) - 1 + r


def reference_loss(seqs, cfg, batch_tokens, batch_sequences, max_response_length):
    """seqs: list of dicts with per-token lists new, roll, adv, mask and optional ent, ref.
    Returns (loss, metrics) as Python floats, every value a share of the step as in compute.py."""
    lo_eps, hi_eps = cfg.eps_clip, cfg.eps_high
    constant = max(cfg.aggregation_constant if cfg.aggregation_constant is not None else float(max_response_length), 1.0)
    tis_on, mis_on = cfg.tis.mode != "off", cfg.mis.mode != "off"
    pg, pg_masks, masks, counts = [], [], [], []
    clip_lo, clip_hi, weights, tis_clip, drops = [], [], [], [], []
    for s in seqs:
        n = len(s["new"])
        mask = s["mask"]
        d = [(s["new"][t] - s["roll"][t]) * mask[t] for t in range(n)]
        seq_d = sum(d)
        tis_d = [seq_d] * n if cfg.tis.mode == "sequence" else d
        mis_d = [seq_d] * n if cfg.mis.mode == "sequence" else d
        w = [clamp(math.exp(x), cfg.tis.clip_low, cfg.tis.clip_high) for x in tis_d]
        wc = [1.0 if (math.exp(x) < cfg.tis.clip_low or math.exp(x) > cfg.tis.clip_high) else 0.0 for x in tis_d]
        keep = [1.0 if cfg.mis.low <= math.exp(x) <= cfg.mis.high else 0.0 for x in mis_d]
        old = s["new"] if tis_on else s["roll"]
        lr = [s["new"][t] - old[t] for t in range(n)]
        if cfg.policy_loss == "gspo":
            cnt = sum(mask)
            mean = sum(lr[t] * mask[t] for t in range(n)) / max(cnt, 1.0)
            lr = [mean] * n
        losses, cl, ch = [], [], []
        for t in range(n):
            a, new = s["adv"][t], s["new"][t]
            r = math.exp(lr[t])
            if cfg.policy_loss in ("ppo", "gspo"):
                u = -a * r
                c = -a * clamp(r, 1 - lo_eps, 1 + hi_eps)
                val = max(u, c)
                if cfg.dual_clip_c is not None and a < 0:
                    val = min(val, -cfg.dual_clip_c * a)
                cl.append(1.0 if c > u and a < 0 else 0.0)
                ch.append(1.0 if c > u and a > 0 else 0.0)
            elif cfg.policy_loss == "cispo":
                val = -clamp(r, 1 - lo_eps, 1 + hi_eps) * a * new
                cl.append(1.0 if r < 1 - lo_eps else 0.0)
                ch.append(1.0 if r > 1 + hi_eps else 0.0)
            else:
                val = -a * new if cfg.policy_loss == "reinforce" else -new
                cl.append(0.0)
                ch.append(0.0)
            if tis_on and cfg.policy_loss != "sft":
                val *= w[t]
            losses.append(val)
        pm = [mask[t] * keep[t] for t in range(n)] if mis_on else list(mask)
        pg.append(losses)
        pg_masks.append(pm)
        masks.append(mask)
        counts.append(sum(mask))
        clip_lo.append(cl)
        clip_hi.append(ch)
        weights.append(w)
        tis_clip.append(wc)
        drops.append([1.0 - k for k in keep])

    def agg(values, ms, cnts=None):
        return reduce(values, ms, cfg, batch_tokens, batch_sequences, constant, cnts)

    def share(values, ms=masks):
        total = 0.0
        for vs, m in zip(values, ms):
            total += sum(v * x for v, x in zip(vs, m))
        return total / max(batch_tokens, 1.0)

    metrics = {}
    if cfg.policy_loss == "sft":
        metrics["sft_loss"] = agg(pg, masks)
        metrics["pg_loss"] = 0.0
    else:
        metrics["pg_loss"] = agg(pg, pg_masks, counts)
    has_ref = all(s.get("ref") is not None for s in seqs)
    has_ent = all(s.get("ent") is not None for s in seqs)
    metrics["kl_loss"] = agg([[kl(a, b, cfg.kl.type) for a, b in zip(s["new"], s["ref"])] for s in seqs], masks) if has_ref else 0.0
    metrics["entropy_loss"] = agg([s["ent"] for s in seqs], masks) if has_ent else 0.0
    loss = metrics["pg_loss"] + cfg.kl.coef * metrics["kl_loss"] - cfg.entropy_coef * metrics["entropy_loss"]
    loss += metrics.get("sft_loss", 0.0)
    metrics["loss"] = loss
    metrics["clipfrac_low"] = share(clip_lo, pg_masks)
    metrics["clipfrac_high"] = share(clip_hi, pg_masks)
    metrics["clipfrac"] = share([[a + b for a, b in zip(x, y)] for x, y in zip(clip_lo, clip_hi)], pg_masks)
    metrics["approx_kl"] = share([[r - n for n, r in zip(s["new"], s["roll"])] for s in seqs])
    metrics["entropy"] = share([s["ent"] for s in seqs]) if has_ent else 0.0
    metrics["train_rollout_logprob_abs_diff"] = share([[abs(n - r) for n, r in zip(s["new"], s["roll"])] for s in seqs])
    metrics["tis_weight_mean"] = share(weights)
    metrics["tis_clipfrac"] = share(tis_clip)
    metrics["mis_dropfrac"] = share(drops)
    return loss, metrics
