// Issue 12 §6: with `network: true` the agent tries the host's services through the bridge
// gateway and the host's own addresses, link-local metadata and a private range. All are
// unreachable unless allow-listed; the guard is in the container's netns, out of the agent's reach.
import { createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent, testPools } from './fixtures.ts';

const newPool = testPools('sec-egress');
let server: Server;
let port = 0;
beforeAll(async () => {
  server = createServer((socket) => socket.end('host service\n'));
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const probe = (host: string, p: number) =>
  `python3 -c "import socket\ntry:\n  s = socket.create_connection(('${host}', ${p}), timeout=3); print('CONNECTED', s.recv(64))\nexcept OSError as e:\n  print('REFUSED', e)"`;
const gatewayCmd = `python3 -c "import socket, struct\nfor l in open('/proc/net/route').readlines()[1:]:\n  f = l.split()\n  if f[1] == '00000000' and f[7] == '00000000' and f[2] != '00000000': print(socket.inet_ntoa(struct.pack('<I', int(f[2], 16))))"`;

describe('opt-in egress keeps the host and private ranges out of reach', () => {
  const pool = newPool();

  it('blocks the bridge gateway, the host\'s addresses, link-local metadata and private ranges', async () => {
    await using sb = await pool.acquire({ network: true });
    const me = agent(sb);
    const gateway = (await me.bash(gatewayCmd)).trim();
    expect(gateway).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await me.bash(probe(gateway, port))).toMatch(/REFUSED.*(unreachable|No route)/i);
    const hostIp = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal && a.address !== gateway)?.address;
    if (hostIp) expect(await me.bash(probe(hostIp, port))).toMatch(/REFUSED/);
    expect(await me.bash(probe('169.254.169.254', 80))).toMatch(/REFUSED.*(unreachable|No route)/i);
    expect(await me.bash(probe('10.1.2.3', 80))).toMatch(/REFUSED.*(unreachable|No route)/i);
    // The agent cannot take the guard down: no capability to change routes.
    expect(await me.python('import socket\ns = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)\nprint(open("/proc/self/status").read().split("CapEff:")[1].split()[0])')).toBe('0000000000000000');
  });

  it('an allow-listed address is reachable', async () => {
    const probeSb = await pool.acquire({ network: true });
    const gateway = (await agent(probeSb).bash(gatewayCmd)).trim();
    await probeSb.destroy();
    await using sb = await pool.acquire({ network: true, egressAllow: [`${gateway}/32`] });
    expect(await agent(sb).bash(probe(gateway, port))).toMatch(/CONNECTED b'host service/);
  });
});
