/**
 * Flag parsing shared by the subcommands: a declarative option table in, typed values out.
 * Every bad flag is an `InvalidInputError` naming the flag and the value, so `physarum` prints one
 * clear line. Flags under a pass-through prefix (e.g. `--sglang-`) are collected verbatim.
 */
import { InvalidInputError } from '../protocol/errors.ts';

export type FlagType = 'string' | 'boolean' | 'number' | 'integer' | 'positive-integer';

export interface FlagSpec {
  type: FlagType;
  description: string;
  default?: string | number | boolean;
  required?: boolean;
  /** Shown in help as the value's name, e.g. `<file>`. */
  valueName?: string;
}

export type FlagTable = Record<string, FlagSpec>;

type ValueOf<S extends FlagSpec> = S['type'] extends 'boolean' ? boolean : S['type'] extends 'string' ? string : number;

export type FlagValues<T extends FlagTable> = {
  [K in keyof T]: T[K]['required'] extends true ? ValueOf<T[K]> : T[K]['default'] extends undefined ? ValueOf<T[K]> | undefined : ValueOf<T[K]>;
};

export interface ParsedArgs<T extends FlagTable> {
  values: FlagValues<T>;
  positionals: string[];
  /** `--<prefix>name value` flags, keyed by the full flag name without dashes. */
  passthrough: Record<string, string | true>;
  help: boolean;
}

export interface ParseOptions {
  /** Used in messages: "physarum <command>: ...". */
  command: string;
  /** Prefixes (without dashes) whose flags are passed through, e.g. ['sglang-']. */
  passthroughPrefixes?: string[];
}

function convert(name: string, spec: FlagSpec, raw: string): string | number {
  if (spec.type === 'string') return raw;
  const value = Number(raw);
  const bad = (what: string): never => {
    throw new InvalidInputError(`--${name} must be ${what}, got '${raw}'`);
  };
  if (raw.trim() === '' || !Number.isFinite(value)) bad(spec.type === 'number' ? 'a number' : 'an integer');
  if ((spec.type === 'integer' || spec.type === 'positive-integer') && !Number.isInteger(value)) bad('an integer');
  if (spec.type === 'positive-integer' && value < 1) bad('a positive integer');
  return value;
}

export function parseFlags<T extends FlagTable>(argv: readonly string[], table: T, options: ParseOptions): ParsedArgs<T> {
  const values: Record<string, unknown> = {};
  const positionals: string[] = [];
  const passthrough: Record<string, string | true> = {};
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    const next = (): string => {
      if (inline !== undefined) return inline;
      const value = argv[i + 1];
      if (value === undefined || (value.startsWith('--') && value.length > 2)) throw new InvalidInputError(`--${name} needs a value`);
      i++;
      return value;
    };
    if (options.passthroughPrefixes?.some((p) => name.startsWith(p))) {
      const value = argv[i + 1];
      passthrough[name] = inline ?? (value === undefined || value.startsWith('--') ? true : (i++, value));
      continue;
    }
    const negated = name.startsWith('no-') && table[name.slice(3)]?.type === 'boolean';
    const key = negated ? name.slice(3) : name;
    const spec = table[key];
    if (!spec) throw new InvalidInputError(`unknown option '--${name}' (see 'physarum ${options.command} --help')`);
    if (spec.type === 'boolean') {
      if (inline !== undefined && inline !== 'true' && inline !== 'false') throw new InvalidInputError(`--${name} takes no value, got '${inline}'`);
      values[key] = negated ? false : inline !== 'false';
      continue;
    }
    values[key] = convert(key, spec, next());
  }
  if (!help) {
    for (const [name, spec] of Object.entries(table)) {
      if (values[name] === undefined && spec.default !== undefined) values[name] = spec.default;
      if (values[name] === undefined && spec.required) throw new InvalidInputError(`missing required option --${name} (see 'physarum ${options.command} --help')`);
    }
  }
  return { values: values as FlagValues<T>, positionals, passthrough, help };
}

export function formatHelp(command: string, summary: string, table: FlagTable, footer: string[] = []): string {
  const rows = Object.entries(table).map(([name, spec]) => {
    const value = spec.type === 'boolean' ? '' : ` <${spec.valueName ?? spec.type.replace('positive-', '')}>`;
    const extra = spec.required ? ' (required)' : spec.default !== undefined ? ` (default: ${String(spec.default)})` : '';
    return [`  --${name}${value}`, `${spec.description}${extra}`] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return [`usage: physarum ${command} [options]`, '', summary, '', 'options:', ...rows.map(([l, r]) => l.padEnd(width) + r), ...footer].join('\n');
}
