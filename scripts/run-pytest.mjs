#!/usr/bin/env node
// Runs the Python suites with the project's .venv (the trainer's, and envs/coding's generator);
// exit code 5 (no tests collected) is a failure here too.
import { spawnSync } from 'node:child_process';

const r = spawnSync('.venv/bin/python', ['-m', 'pytest', '-q', 'trainer/tests', 'envs/coding/generator/tests', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
