import { describe, expect, it } from 'vitest';
import { formatHelp, parseFlags } from '../../src/cli/args.ts';
import { rolloutFlags } from '../../src/cli/rollout.ts';

const table = {
  name: { type: 'string', description: 'a name', required: true },
  count: { type: 'positive-integer', description: 'how many', default: 1 },
  ratio: { type: 'number', description: 'a ratio' },
  offset: { type: 'integer', description: 'an offset' },
  verbose: { type: 'boolean', description: 'talk more', default: false },
} as const;
const parse = (line: string) => parseFlags(line.split(' ').filter(Boolean), table, { command: 'test', passthroughPrefixes: ['sglang-'] });

describe('parseFlags', () => {
  it('reads --flag value, --flag=value, booleans, --no-flag and defaults', () => {
    expect(parse('--name a --ratio=0.5 --verbose --offset -3').values).toEqual({ name: 'a', count: 1, ratio: 0.5, offset: -3, verbose: true });
    expect(parse('--name=b --count 4 --no-verbose').values).toMatchObject({ name: 'b', count: 4, verbose: false });
    expect(parse('--name a --verbose=false').values.verbose).toBe(false);
  });

  it('keeps positionals and pass-through flags apart', () => {
    const parsed = parse('run --name a --sglang-tp-size 2 --sglang-enable-metrics -- --name');
    expect(parsed.positionals).toEqual(['run', '--name']);
    expect(parsed.passthrough).toEqual({ 'sglang-tp-size': '2', 'sglang-enable-metrics': true });
  });

  it('names the flag and the value in every error', () => {
    expect(() => parse('--name a --count 0')).toThrow("--count must be a positive integer, got '0'");
    expect(() => parse('--name a --count 2.5')).toThrow("--count must be an integer, got '2.5'");
    expect(() => parse('--name a --ratio abc')).toThrow("--ratio must be a number, got 'abc'");
    expect(() => parse('--name a --bogus 1')).toThrow("unknown option '--bogus' (see 'physarum test --help')");
    expect(() => parse('--count 2')).toThrow('missing required option --name');
    expect(() => parse('--name')).toThrow('--name needs a value');
    expect(() => parse('--name --count 2')).toThrow('--name needs a value');
    expect(() => parse('--name a --verbose=yes')).toThrow("--verbose takes no value, got 'yes'");
    try {
      parse('--count 0 --name a');
    } catch (error) {
      expect((error as { code: string }).code).toBe('PHYSARUM_INVALID_INPUT');
    }
  });

  it('--help skips required checks', () => {
    expect(parse('--help').help).toBe(true);
  });

  it('formats help with every flag, its default and required marks', () => {
    const help = formatHelp('rollout', 'run things', rolloutFlags);
    for (const name of Object.keys(rolloutFlags)) expect(help).toContain(`--${name}`);
    expect(help).toContain('--n-samples <integer>');
    expect(help).toMatch(/--env <module>\s+env module.*\(required\)/);
    expect(help).toMatch(/--concurrency <integer>\s+episodes in flight at once \(default: 32\)/);
  });
});
