/**
 * A bounded least-recently-used map, for memos whose every entry is exact (a hit returns what a
 * fresh computation would): it bounds memory, never correctness. Bounded by entry count and by the
 * summed weight of its entries (e.g. key length in characters).
 */
export class LruMap<K, V> {
  readonly #map = new Map<K, { value: V; weight: number }>();
  #weight = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxWeight: number = Infinity,
  ) {}

  get size(): number {
    return this.#map.size;
  }

  /** The summed weight of the entries held. */
  get weight(): number {
    return this.#weight;
  }

  get(key: K): V | undefined {
    const entry = this.#map.get(key);
    if (entry === undefined) return undefined;
    // Most recent last: Map keeps insertion order.
    this.#map.delete(key);
    this.#map.set(key, entry);
    return entry.value;
  }

  /** Keep `value` under `key`, evicting the least recently used entries beyond the bounds. */
  set(key: K, value: V, weight = 0): void {
    const old = this.#map.get(key);
    if (old) {
      this.#weight -= old.weight;
      this.#map.delete(key);
    }
    if (this.maxEntries <= 0 || weight > this.maxWeight) return;
    this.#map.set(key, { value, weight });
    this.#weight += weight;
    for (const [oldest, entry] of this.#map) {
      if (this.#map.size <= this.maxEntries && this.#weight <= this.maxWeight) break;
      this.#map.delete(oldest);
      this.#weight -= entry.weight;
    }
  }

  clear(): void {
    this.#map.clear();
    this.#weight = 0;
  }
}
