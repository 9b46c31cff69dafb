// Images: the debootstrap base (content-hashed tag), env Dockerfiles FROM it, and env setup
// commands cached as an image per (image, setup).
import { afterAll, describe, expect, it } from 'vitest';
import { baseImageTag, ensureBaseImage } from '../../sandboxes/index.ts';
import { docker, testPools } from './fixtures/pool.ts';

const newPool = testPools('images');
// Setup images made from a per-run nonce would pile up run after run: remove them at the end.
const nonceImages: string[] = [];
afterAll(async () => {
  for (const tag of nonceImages) await docker.getImage(tag).remove().catch(() => undefined);
});

describe('sandbox images', () => {
  it('builds (or finds) the base image under its content-hash tag, with bash, coreutils, python3 and git', async () => {
    const tag = await ensureBaseImage(docker);
    expect(tag).toBe(baseImageTag());
    expect(tag).toMatch(/^physarum\/base:[0-9a-f]{16}$/);
    const pool = newPool();
    await using sb = await pool.acquire({});
    expect(sb.image).toBe(tag);
    await using named = await pool.acquire({ image: 'physarum/base' });
    expect(named.image).toBe(tag);
    const r = await sb.exec('bash --version | head -1; ls --version | head -1; python3 --version; git --version; grep VERSION_CODENAME /etc/os-release');
    expect(r.stdout).toMatch(/GNU bash.*\n.*coreutils.*\nPython 3\.11.*\ngit version .*\nVERSION_CODENAME=bookworm/);
  });

  it('runs setup commands once as root, caches them as an image and hands the workdir to the user', async () => {
    const setup = [`echo "setup ran $(id -u)" > marker.txt`, `echo ${Date.now()} > nonce.txt`];
    const pool = newPool();
    await using a = await pool.acquire({ setup, workdir: '/srv/task' });
    expect(a.image).toMatch(/^physarum\/setup:/);
    nonceImages.push(a.image);
    expect(await a.readFile('marker.txt')).toBe('setup ran 0\n');
    expect((await a.exec('pwd; echo mine >> marker.txt && echo writable')).stdout).toBe('/srv/task\nwritable\n');
    const again = newPool();
    await using b = await again.acquire({ setup, workdir: '/srv/task' });
    expect(b.image).toBe(a.image);
    expect(await b.readFile('nonce.txt')).toBe(await a.readFile('nonce.txt'));
  });

  it('fails a broken setup with image_build_failed naming the output', async () => {
    const pool = newPool();
    await expect(pool.acquire({ setup: ['echo about to fail >&2; exit 7'] })).rejects.toMatchObject({
      reason: 'image_build_failed',
      message: expect.stringMatching(/exited 7[\s\S]*about to fail/),
    });
  });

  it('builds an env image from a Dockerfile FROM physarum/base, with context files', async () => {
    const pool = newPool();
    const image = {
      dockerfile: 'FROM physarum/base\nCOPY greet.sh /usr/local/bin/greet\nRUN chmod 755 /usr/local/bin/greet\n',
      files: { 'greet.sh': '#!/bin/bash\necho "hello from the env image"\n' },
    };
    await using sb = await pool.acquire({ image });
    expect(sb.image).toMatch(/^physarum\/setup:/);
    expect((await sb.exec('greet')).stdout).toBe('hello from the env image\n');
    const inspected = await docker.getImage(sb.image).inspect();
    expect(inspected.Id).toMatch(/^sha256:/);
  });

  it('names a spec error by its field', async () => {
    const pool = newPool();
    await expect(pool.acquire({ limits: { memoryMb: 1 } })).rejects.toMatchObject({ code: 'PHYSARUM_INVALID_INPUT', message: expect.stringContaining('limits.memoryMb') });
    await expect(pool.acquire({ user: '0' })).rejects.toThrow(/user/);
    await expect(pool.acquire({ workdir: 'relative' })).rejects.toThrow(/workdir/);
  });
});
