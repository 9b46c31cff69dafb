// Headless Chromium for the browser tests: Debian's `chromium`, installed with apt-get when it is
// missing. Returns undefined (and the reason) only when it cannot be installed, so a test skips
// with that reason instead of failing on a machine without a package manager.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

function found(): string | undefined {
  return CANDIDATES.find((p) => existsSync(p));
}

export function chromiumPath(): { path?: string; reason?: string } {
  const have = found();
  if (have) return { path: have };
  if (process.getuid?.() !== 0) return { reason: 'chromium is not installed and this user cannot apt-get install it' };
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { env, stdio: 'ignore', timeout: 600_000 });
  if (install.status !== 0) {
    spawnSync('apt-get', ['update'], { env, stdio: 'ignore', timeout: 300_000 });
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { env, stdio: 'ignore', timeout: 600_000 });
  }
  const now = found();
  return now ? { path: now } : { reason: 'chromium is not installed and `apt-get install -y chromium` failed' };
}

export async function launch(executablePath: string): Promise<Browser> {
  // --no-sandbox: tests run as root in a container, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

export function chromiumVersion(executablePath: string): string {
  return execFileSync(executablePath, ['--version'], { encoding: 'utf8' }).trim();
}
