#!/usr/bin/env node
// Installs what the project needs on a fresh clone, and nothing when it is already there:
//   node_modules (npm ci, optional platform builds omitted: node-llama-cpp's CPU build only),
//   .venv (the trainer's Python packages), and with --docker a running Docker daemon.
// Each step is skipped when a stamp of its inputs matches, so `npm test` stays fast on a warm machine.
// Only node's standard library is used here: this runs before node_modules exists.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));

function run(cmd, argv, options = {}) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', ...options });
  if (r.status !== 0) {
    console.error(`setup: '${cmd} ${argv.join(' ')}' failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

function hashFiles(files) {
  const h = createHash('sha256');
  for (const f of files) h.update(existsSync(path.join(root, f)) ? readFileSync(path.join(root, f)) : '');
  return h.digest('hex');
}

function stamped(stampFile, hash) {
  const p = path.join(root, stampFile);
  return existsSync(p) && readFileSync(p, 'utf8') === hash;
}

function ensureNodeModules() {
  const hash = hashFiles(['package-lock.json']);
  if (stamped('node_modules/.physarum-stamp', hash)) return;
  console.error('setup: installing npm packages (npm ci)');
  run('npm', ['ci', '--omit=optional', '--no-audit', '--no-fund']);
  writeFileSync(path.join(root, 'node_modules/.physarum-stamp'), hash);
}

function pythonIndexEnv() {
  // The machine's local index: pip must not wait on the unreachable public one.
  const env = { ...process.env };
  if (!env.PIP_INDEX_URL && existsSync('/opt/pypi/simple')) env.PIP_INDEX_URL = 'file:///opt/pypi/simple';
  return env;
}

function ensureVenv() {
  const hash = hashFiles(['trainer/requirements.txt']);
  if (stamped('.venv/.physarum-stamp', hash)) return;
  console.error('setup: creating .venv for the trainer');
  if (!existsSync(path.join(root, '.venv/bin/python'))) run('python3', ['-m', 'venv', '.venv']);
  run('.venv/bin/pip', ['install', '-q', '-r', 'trainer/requirements.txt'], { env: pythonIndexEnv() });
  writeFileSync(path.join(root, '.venv/.physarum-stamp'), hash);
}

function ensureDocker() {
  run('bash', ['scripts/ensure-docker.sh']);
}

ensureNodeModules();
if (!args.has('--no-python')) ensureVenv();
if (args.has('--docker')) ensureDocker();
