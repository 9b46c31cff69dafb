// Issue 12 §1: the agent tries to take over the in-container helper from its bash tool (stop it,
// ptrace it, open its /proc fds, answer the host in its place) and to get its privileges back.
// Every attempt must fail, and reward code run after finalize sees the agent's real (unfixed) code.
import { describe, expect, it } from 'vitest';
import { agent, CALC_CHECK, CALC_TASK, testPools } from './fixtures.ts';

const newPool = testPools('sec-helper');

// Written to /tmp with the create tool and run with bash, as the agent of the issue did.
const ATTACK = String.raw`
import ctypes, errno, json, os, signal
libc = ctypes.CDLL(None, use_errno=True)
def cmdline(pid):
    try:
        with open('/proc/%s/cmdline' % pid, 'rb') as f:
            return f.read()
    except OSError:
        return b''
helper = next(int(p) for p in os.listdir('/proc') if p.isdigit() and b'physarum sandbox helper' in cmdline(p))
out = {}
def attempt(name, fn):
    try:
        fn()
        out[name] = 'ok'
    except OSError as err:
        out[name] = errno.errorcode.get(err.errno, str(err.errno))
def stop_then_continue():
    os.kill(helper, signal.SIGSTOP)
    os.kill(helper, signal.SIGCONT)  # only reached when the stop worked: do not hang the test
attempt('sigstop', stop_then_continue)
attempt('fd0', lambda: open('/proc/%d/fd/0' % helper, 'rb').close())
attempt('fd1', lambda: open('/proc/%d/fd/1' % helper, 'ab').close())
attempt('init_fd1', lambda: open('/proc/1/fd/1', 'ab').close())
attempt('mem', lambda: open('/proc/%d/mem' % helper, 'rb').close())
attempt('environ', lambda: open('/proc/%d/environ' % helper, 'rb').close())
def ptrace_attach():
    if libc.ptrace(16, helper, 0, 0) != 0:  # PTRACE_ATTACH
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    libc.ptrace(17, helper, 0, 0)  # PTRACE_DETACH: it worked, let it go on
attempt('ptrace', ptrace_attach)
attempt('setuid0', lambda: os.setuid(0))
status = open('/proc/self/status').read()
field = lambda name: [l.split()[1] for l in status.splitlines() if l.startswith(name + ':')][0]
helper_status = open('/proc/%d/status' % helper).read()
out['helper_uid'] = int([l.split()[1] for l in helper_status.splitlines() if l.startswith('Uid:')][0])
out['my_uid'] = os.getuid()
out['no_new_privs'] = field('NoNewPrivs')
out['cap_eff'] = field('CapEff')
out['cap_prm'] = field('CapPrm')
print(json.dumps(out))
`;

describe('the helper is out of the agent\'s reach', () => {
  const pool = newPool();

  it('refuses SIGSTOP, ptrace and /proc fd access to the helper; reward code sees the real code', async () => {
    await using sb = await pool.acquire(CALC_TASK);
    const me = agent(sb);
    await me.create('/tmp/attack.py', ATTACK);
    const said = await me.bash('setsid -w python3 /tmp/attack.py');
    const line = said.split('\n').find((l) => l.startsWith('{'));
    expect(line, said).toBeDefined();
    const result = JSON.parse(line!) as Record<string, unknown>;
    expect(result).toMatchObject({
      sigstop: 'EPERM', fd0: 'EACCES', fd1: 'EACCES', init_fd1: 'EACCES', mem: 'EACCES', environ: 'EACCES', ptrace: 'EPERM', setuid0: 'EPERM',
      my_uid: 1000, no_new_privs: '1', cap_eff: '0000000000000000', cap_prm: '0000000000000000',
    });
    expect(result.helper_uid).not.toBe(result.my_uid);
    // An impostor left behind cannot outlive finalize, and the check fails on the unfixed code.
    await me.bash('nohup python3 -c "import time; time.sleep(300)" >/dev/null 2>&1 &');
    await sb.finalize();
    const check = await sb.exec(CALC_CHECK);
    expect(check.exitCode).not.toBe(0);
    expect(check.stdout).not.toMatch(/PASS/);
    const left = await sb.exec(['python3', '-c', 'import os; print(sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))']);
    // init, the helper, and this very command.
    expect(JSON.parse(left.stdout)).toHaveLength(3);
  });

  it('the agent cannot write files as the helper: host file reads and writes are the agent user\'s', async () => {
    await using sb = await pool.acquire(CALC_TASK);
    const me = agent(sb);
    // A symlink to a file only root may read: the host's read through the helper is refused.
    await me.bash('ln -s /etc/shadow leak && ln -s /proc/1/environ leak2');
    expect(await me.view('leak')).toMatch(/permission denied/);
    expect(await me.view('leak2')).toMatch(/permission denied/);
    await me.create('made.txt', 'hi\n');
    expect((await sb.exec('stat -c %u made.txt')).stdout.trim()).toBe('1000');
  });
});
