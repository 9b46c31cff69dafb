/**
 * HTML escaping for the trace viewer. Everything a sample carries (prompts, tool outputs, metadata,
 * decoded tokens) is user-controlled text, so every string goes through `esc` before it reaches the
 * page: a tool output holding `</script>` must show as text, never run.
 */
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for element content and for double-quoted attribute values alike. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/**
 * A decoded token made visible: spaces as ·, tabs as →, newlines as ⏎ (followed by a real line
 * break so multi-line outputs still read as lines), and an empty decode as ∅ so no token is invisible.
 */
export function visibleToken(text: string): string {
  if (text === '') return '∅';
  return text.replace(/ /g, '·').replace(/\t/g, '→').replace(/\r/g, '␍').replace(/\n/g, '⏎\n');
}

/** Short, stable number text for attributes: enough digits to compare log-probs, no more. */
export function num(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(4)));
}
