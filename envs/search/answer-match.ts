/**
 * Answer scoring as in SQuAD and the open-domain QA papers that followed it: both strings are
 * normalized (lowercase, punctuation and the articles a/an/the removed, whitespace collapsed),
 * then compared exactly (EM) or by token overlap (F1). A task may list aliases ("Oss",
 * "Oss River"); the score is the best over them.
 */

/** Lowercase, strip punctuation and articles, collapse whitespace. */
export function normalizeAnswer(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .replace(/\b(a|an|the)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export function exactMatch(prediction: string, gold: string): boolean {
  return normalizeAnswer(prediction) === normalizeAnswer(gold);
}

/** Harmonic mean of token precision and recall over the normalized answers (0 when either is empty). */
export function tokenF1(prediction: string, gold: string): number {
  const predicted = normalizeAnswer(prediction).split(' ').filter(Boolean);
  const expected = normalizeAnswer(gold).split(' ').filter(Boolean);
  if (predicted.length === 0 || expected.length === 0) return predicted.length === expected.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const token of expected) counts.set(token, (counts.get(token) ?? 0) + 1);
  let common = 0;
  for (const token of predicted) {
    const left = counts.get(token) ?? 0;
    if (left > 0) {
      common++;
      counts.set(token, left - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / predicted.length;
  const recall = common / expected.length;
  return (2 * precision * recall) / (precision + recall);
}

/** The best score of `prediction` over the gold answers. */
export function bestOver(prediction: string, answers: readonly string[], score: (p: string, g: string) => number | boolean): number {
  return Math.max(0, ...answers.map((gold) => Number(score(prediction, gold))));
}
