/**
 * The Debian mirror debootstrap should use: the one apt on this machine already reaches, read
 * from /etc/apt/sources.list and sources.list.d (one-line and deb822 formats). No host is
 * hard-coded; PHYSARUM_DEBIAN_MIRROR overrides.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SandboxError } from './errors.ts';

export interface AptSource {
  uris: string[];
  suites: string[];
}

export function parseAptSources(text: string, format: 'list' | 'deb822'): AptSource[] {
  if (format === 'list') {
    const out: AptSource[] = [];
    for (const raw of text.split('\n')) {
      const line = raw.replace(/#.*/, '').trim();
      // deb [options] uri suite components...
      const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
      if (m) out.push({ uris: [m[1]!], suites: [m[2]!] });
    }
    return out;
  }
  return text.split(/\n\s*\n/).flatMap((stanza) => {
    const field = (name: string): string[] => {
      const m = new RegExp(`^${name}:\\s*(.*)$`, 'mi').exec(stanza);
      return m ? m[1]!.trim().split(/\s+/) : [];
    };
    const types = field('Types');
    if (!types.includes('deb')) return [];
    return [{ uris: field('URIs'), suites: field('Suites') }];
  });
}

export function findDebianMirror(suite: string, aptDir = '/etc/apt'): string {
  const override = process.env.PHYSARUM_DEBIAN_MIRROR;
  if (override) return override;
  const sources: AptSource[] = [];
  const main = path.join(aptDir, 'sources.list');
  if (existsSync(main)) sources.push(...parseAptSources(readFileSync(main, 'utf8'), 'list'));
  const dir = path.join(aptDir, 'sources.list.d');
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).sort()) {
      const text = readFileSync(path.join(dir, f), 'utf8');
      if (f.endsWith('.sources')) sources.push(...parseAptSources(text, 'deb822'));
      else if (f.endsWith('.list')) sources.push(...parseAptSources(text, 'list'));
    }
  }
  // The suite itself (not -updates/-security) is what debootstrap installs from.
  const hit = sources.find((s) => s.suites.includes(suite) && s.uris.length > 0);
  if (!hit) {
    throw new SandboxError(
      'image_build_failed',
      `no apt source for Debian '${suite}' in ${aptDir}/sources.list*; set PHYSARUM_DEBIAN_MIRROR to a Debian mirror URL`,
    );
  }
  return hit.uris[0]!;
}
