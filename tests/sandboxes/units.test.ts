// Pure parts of the sandbox layer, no Docker daemon: spec parsing, the apt-mirror reader, Docker's log
// framing, the cross-process build lock.
import { mkdirSync, mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findDebianMirror, parseAptSources } from '../../sandboxes/debian-mirror.ts';
import { withFileLock } from '../../sandboxes/file-lock.ts';
import { demuxLogs } from '../../sandboxes/images.ts';
import { parseSandboxSpec, SandboxError } from '../../sandboxes/index.ts';
import { poolKey } from '../../sandboxes/spec.ts';

describe('parseSandboxSpec', () => {
  it('fills hardened defaults', () => {
    expect(parseSandboxSpec({})).toEqual({
      setup: [], workdir: '/workspace', network: false, readOnlyRoot: false, env: {}, user: '1000:1000', statePaths: [], verifyPaths: [], egressAllow: [],
      limits: { memoryMb: 1024, cpus: 1, pids: 256, diskMb: 1024 },
    });
    expect(parseSandboxSpec({ limits: { pids: 64 } }).limits).toEqual({ memoryMb: 1024, cpus: 1, pids: 64, diskMb: 1024 });
  });

  it('names the bad field', () => {
    expect(() => parseSandboxSpec({ env: { 'BAD-NAME': 'x' } })).toThrow(/env\.BAD-NAME/);
    expect(() => parseSandboxSpec({ limits: { cpus: 0 } })).toThrow(/limits\.cpus/);
    expect(() => parseSandboxSpec({ user: '0:0' })).toThrow(/non-zero uid/);
  });

  it('keys pools by everything that changes the container', () => {
    const a = parseSandboxSpec({});
    expect(poolKey('img', a)).toBe(poolKey('img', parseSandboxSpec({})));
    expect(poolKey('img', a)).not.toBe(poolKey('img2', a));
    expect(poolKey('img', a)).not.toBe(poolKey('img', parseSandboxSpec({ network: true })));
    expect(poolKey('img', a)).not.toBe(poolKey('img', parseSandboxSpec({ limits: { memoryMb: 512 } })));
  });
});

describe('debian mirror', () => {
  it('parses one-line and deb822 sources', () => {
    expect(parseAptSources('# c\ndeb [arch=amd64 signed-by=/k] http://m.example/debian bookworm main\ndeb-src http://x y z\n', 'list')).toEqual([
      { uris: ['http://m.example/debian'], suites: ['bookworm'] },
    ]);
    const deb822 = 'Types: deb\nURIs: http://a/debian\nSuites: bookworm bookworm-updates\n\nTypes: deb\nURIs: http://a/debian-security\nSuites: bookworm-security\n';
    expect(parseAptSources(deb822, 'deb822')).toEqual([
      { uris: ['http://a/debian'], suites: ['bookworm', 'bookworm-updates'] },
      { uris: ['http://a/debian-security'], suites: ['bookworm-security'] },
    ]);
  });

  it('picks the source of the suite itself from an apt dir, not -security or third parties', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'apt-'));
    mkdirSync(path.join(dir, 'sources.list.d'));
    writeFileSync(path.join(dir, 'sources.list.d', 'a-vendor.list'), 'deb https://vendor.example/apt cloud-sdk main\n');
    writeFileSync(path.join(dir, 'sources.list.d', 'debian.sources'), 'Types: deb\nURIs: http://sec/debian-security\nSuites: bookworm-security\n\nTypes: deb\nURIs: http://mirror/debian\nSuites: bookworm\n');
    expect(findDebianMirror('bookworm', dir)).toBe('http://mirror/debian');
    expect(() => findDebianMirror('trixie', dir)).toThrow(SandboxError);
    expect(() => findDebianMirror('trixie', dir)).toThrow(/PHYSARUM_DEBIAN_MIRROR/);
  });
});

describe('demuxLogs', () => {
  it('joins the payloads of Docker log frames', () => {
    const frame = (stream: number, text: string): Buffer => {
      const head = Buffer.alloc(8);
      head[0] = stream;
      head.writeUInt32BE(Buffer.byteLength(text), 4);
      return Buffer.concat([head, Buffer.from(text)]);
    };
    expect(demuxLogs(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')]))).toBe('out\nerr\n');
    expect(demuxLogs(Buffer.alloc(0))).toBe('');
  });
});

describe('withFileLock', () => {
  it('serializes holders and takes over a lock whose holder died', async () => {
    const lock = path.join(mkdtempSync(path.join(tmpdir(), 'lock-')), 'l.lock');
    const order: string[] = [];
    await Promise.all([
      withFileLock(lock, async () => { order.push('a+'); await new Promise((r) => setTimeout(r, 300)); order.push('a-'); }),
      new Promise((r) => setTimeout(r, 50)).then(() => withFileLock(lock, async () => { order.push('b+'); order.push('b-'); })),
    ]);
    expect(order).toEqual(['a+', 'a-', 'b+', 'b-']);
    mkdirSync(lock);
    writeFileSync(path.join(lock, 'pid'), '999999999'); // no such process
    expect(await withFileLock(lock, async () => 'taken over')).toBe('taken over');
    expect(existsSync(lock)).toBe(false);
  });
});
