/**
 * A fast `decode` for byte-level BPE tokenizers (GPT-2 style: Qwen, Llama 3, ...). Each vocabulary
 * token is a run of bytes spelled with GPT-2's byte-to-character table; decoding maps the
 * characters back to bytes and reads the bytes as UTF-8. @huggingface/tokenizers does the same
 * through string arrays per call; here every token's bytes are worked out once and kept.
 *
 * Byte-identical to @huggingface/tokenizers' decode for what it accepts (pinned by
 * tests/chat/byte-level-decode.test.ts): added tokens are emitted as their text between decoded
 * byte runs, a character outside the table counts as byte 0, `skipSpecialTokens` drops tokens
 * whose text is a special token's (added or listed in the config), and an id without a token falls back to the slow path.
 * Tokenizers with another decoder, or with `clean_up_tokenization_spaces`, are not handled.
 */

/** GPT-2's table: printable Latin-1 bytes stand for themselves, the rest take 256, 257, ... in order. */
function characterToByte(): Map<string, number> {
  const table = new Map<string, number>();
  const printable = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let next = 256;
  for (let b = 0; b < 256; b++) table.set(String.fromCharCode(printable(b) ? b : next++), b);
  return table;
}

export interface ByteLevelTokenizerJson {
  decoder?: unknown;
  model?: { vocab?: unknown };
  added_tokens?: unknown;
}

type DecodeIds = (ids: readonly number[], skipSpecialTokens: boolean) => string;

/** The fast decode, or undefined where the tokenizer is not plain byte-level. */
export function byteLevelDecode(json: ByteLevelTokenizerJson, config: Record<string, unknown>, slow: DecodeIds): DecodeIds | undefined {
  const decoder = json.decoder as { type?: unknown } | null | undefined;
  if (decoder?.type !== 'ByteLevel') return undefined;
  // @huggingface/tokenizers cleans up by default when the config does not say.
  if ((config.clean_up_tokenization_spaces ?? true) !== false) return undefined;
  const vocab = json.model?.vocab;
  if (!vocab || typeof vocab !== 'object' || Array.isArray(vocab)) return undefined;

  const addedTokens = (json.added_tokens as Array<{ id?: unknown; content?: unknown; special?: unknown }> | undefined) ?? [];
  if (addedTokens.some((t) => typeof t.content !== 'string' || !Number.isInteger(t.id))) return undefined;
  const added = new Set<string>();
  const special = new Set<string>();
  for (const t of addedTokens) {
    added.add(t.content as string);
    if (t.special) special.add(t.content as string);
  }
  // The id -> token table walks the whole vocabulary (a 150k one takes about 0.1 s), so it is
  // built at the first decode rather than with every tokenizer.
  let tokens: string[] | undefined;
  const tokenTable = (): string[] => {
    if (!tokens) {
      tokens = [];
      for (const [token, id] of Object.entries(vocab as Record<string, unknown>)) if (Number.isInteger(id) && (id as number) >= 0) tokens[id as number] = token;
      for (const t of addedTokens) tokens[t.id as number] = t.content as string;
    }
    return tokens;
  };

  // The config's additional special tokens are skipped too, by text, as upstream does.
  const extra = config.additional_special_tokens;
  if (Array.isArray(extra)) for (const t of extra) if (typeof t === 'string') special.add(t);

  const table = characterToByte();
  const bytesOf = new Map<number, Uint8Array>();
  const tokenBytes = (id: number, token: string): Uint8Array => {
    let bytes = bytesOf.get(id);
    if (!bytes) {
      bytes = new Uint8Array([...token].map((c) => table.get(c) ?? 0));
      bytesOf.set(id, bytes);
    }
    return bytes;
  };
  const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  let buffer = new Uint8Array(4096);

  return (ids, skipSpecialTokens) => {
    const tokens = tokenTable();
    let text = '';
    let length = 0;
    const flush = (): void => {
      if (length > 0) text += utf8.decode(buffer.subarray(0, length));
      length = 0;
    };
    for (const id of ids) {
      const token = Number.isInteger(id) && id >= 0 ? tokens[id] : undefined;
      if (token === undefined) return slow(ids, skipSpecialTokens);
      if (skipSpecialTokens && special.has(token)) continue;
      if (added.has(token)) {
        flush();
        text += token;
        continue;
      }
      const bytes = tokenBytes(id, token);
      if (length + bytes.length > buffer.length) {
        const grown = new Uint8Array(Math.max(buffer.length * 2, length + bytes.length));
        grown.set(buffer.subarray(0, length));
        buffer = grown;
      }
      buffer.set(bytes, length);
      length += bytes.length;
    }
    flush();
    return text;
  };
}
