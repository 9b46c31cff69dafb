/**
 * Deeply frozen plain data. A value frozen here (plain objects and arrays of data properties, all
 * the way down) can never change, so work derived from it, such as its `tojson` text, can be kept
 * per object and reused: the ledger freezes its own copy of the tool specs, which every render
 * prints.
 */
const frozen = new WeakSet<object>();

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return Array.isArray(value) ? proto === Array.prototype : proto === Object.prototype || proto === null;
}

/**
 * Whether `value` is plain data throughout: strings, numbers, booleans, null, undefined, arrays
 * without holes and plain objects of data properties; no accessors, symbols, bigints, class
 * instances, hidden (non-enumerable) properties or cycles: what a chat template's input
 * conversion takes as it is.
 */
function plainData(value: unknown, path: Set<object>): boolean {
  if (typeof value !== 'object' || value === null) return typeof value !== 'function' && typeof value !== 'symbol' && typeof value !== 'bigint';
  if (frozen.has(value)) return true;
  if (path.has(value) || !isPlain(value) || Object.getOwnPropertySymbols(value).length > 0) return false;
  const array = Array.isArray(value);
  if (array) for (let i = 0; i < value.length; i++) if (!(i in value)) return false;
  path.add(value);
  for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(value))) {
    if (array && key === 'length') continue;
    // A hidden property is data that an Object.entries reader (the interpreter) would not see.
    if (!descriptor.enumerable || !('value' in descriptor) || !plainData(descriptor.value, path)) return false;
  }
  path.delete(value);
  return true;
}

function freezeAll(value: unknown): void {
  if (typeof value !== 'object' || value === null || frozen.has(value)) return;
  for (const child of Object.values(value)) freezeAll(child);
  Object.freeze(value);
  frozen.add(value);
}

/**
 * Freezes `value` all the way down when it is plain data throughout, and says whether it did; other
 * values (holding a Date, a Map, an accessor, a cycle) are left untouched.
 */
export function freezeDeep(value: unknown): boolean {
  if (!plainData(value, new Set())) return false;
  freezeAll(value);
  return true;
}

/** Whether `value` was frozen whole by freezeDeep. */
export function isFrozenDeep(value: object): boolean {
  return frozen.has(value);
}
