// The fake router as its own process, taking the flags `sglang_router.launch_router` takes
// (`--worker-urls ... --host H --port P`), so fleet tests can spawn it from a launch plan.
import { startFakeRouter } from './fake-router.ts';

const argv = process.argv.slice(2);
const value = (flag: string) => argv[argv.indexOf(flag) + 1];
const urls: string[] = [];
for (let i = argv.indexOf('--worker-urls') + 1; i > 0 && i < argv.length && !argv[i]!.startsWith('--'); i++) urls.push(argv[i]!);
const router = await startFakeRouter({ host: value('--host') ?? '127.0.0.1', port: Number(value('--port')), workerUrls: urls });
console.log(`fake router on ${router.url} with ${urls.length} workers`);
process.once('SIGTERM', () => void router.close().then(() => process.exit(0)));
