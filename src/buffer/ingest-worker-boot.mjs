// Worker threads do not inherit the parent's TypeScript loader: register tsx here, then load the
// worker module (src/buffer/ingest-worker.ts).
import { register } from 'tsx/esm/api';

register();
await import(new URL('./ingest-worker.ts', import.meta.url).href);
