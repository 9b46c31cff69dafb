/**
 * `tsx sandboxes/ensure-base-image.ts`: builds physarum's base sandbox image if this Docker daemon lacks
 * it (once per machine, a minute or two of debootstrap) and prints its tag. scripts/ensure-docker.sh
 * runs it so test suites and benches start with the image in place.
 */
import Docker from 'dockerode';
import { PhysarumError } from '../src/protocol/errors.ts';
import { ensureBaseImage } from './base-image.ts';

try {
  const tag = await ensureBaseImage(new Docker(), { log: (line) => console.error(`base image: ${line}`) });
  console.log(tag);
} catch (err) {
  console.error(PhysarumError.isInstance(err) ? err.message : err);
  process.exit(1);
}
