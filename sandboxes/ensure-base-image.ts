/**
 * `tsx sandboxes/ensure-base-image.ts`: builds physarum's base sandbox image if this Docker daemon lacks
 * it (once per machine, a minute or two of debootstrap) and prints its tag. scripts/ensure-docker.sh
 * runs it so test suites and benches start with the image in place.
 */
import Docker from 'dockerode';
import { PhysarumError } from '../src/protocol/errors.ts';
import { Progress } from '../src/protocol/progress.ts';
import { ensureBaseImage } from './base-image.ts';

// debootstrap's hundreds of lines become one status line (a TTY) or a line every 10 s (CI logs).
const progress = new Progress(process.stderr, 'base image');
const heartbeat = setInterval(() => progress.heartbeat(), 1000);
heartbeat.unref();
let built = false;
try {
  const tag = await ensureBaseImage(new Docker(), { log: (line) => ((built = true), progress.status(line.trim())) });
  if (built) progress.done(`built ${tag}`);
  console.log(tag);
} catch (err) {
  progress.clear();
  console.error(PhysarumError.isInstance(err) ? err.message : err);
  process.exit(1);
}
