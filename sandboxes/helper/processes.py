# physarum sandbox helper, part 2 of 6 (processes): exec, cancel, finalize's kill-all.


def oom_kills():
    # Counter of OOM kills in this container's memory cgroup (v2 file, then v1 file).
    for path in ('/sys/fs/cgroup/memory.events', '/sys/fs/cgroup/memory/memory.oom_control'):
        try:
            with open(path) as f:
                for line in f:
                    key, _, value = line.partition(' ')
                    if key == 'oom_kill':
                        return int(value)
        except (OSError, ValueError):
            pass
    return None


def kill_group(proc):
    # The command runs in its own session: SIGKILL the whole group, again while new forks appear.
    for _ in range(100):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            return
        proc.poll()  # reap the leader, else its zombie keeps the group alive
        if not group_alive(proc.pid):
            return
        time.sleep(0.01)


def group_alive(pgid):
    # True while a non-zombie process is in the group (zombies are dead, init reaps them).
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % name) as f:
                fields = f.read().rsplit(') ', 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != 'Z' and int(fields[2]) == pgid:
            return True
    return False


# Disk: the storage driver here (overlay2 on ext4) cannot cap a container's writable layer, so the
# helper does. Each agent process may write no file past the limit (RLIMIT_FSIZE: SIGXFSZ), and a
# watchdog sums what the agent's writable paths hold while its processes live, killing them all
# once the total passes the limit. The host reports either as a `disk_limit` failure of the agent.
DISK_LIMIT = int(os.environ.get('PHYSARUM_DISK_LIMIT') or 0)
DISK = {'exceeded': None}


def disk_roots():
    extra = json.loads(os.environ.get('PHYSARUM_STATE_PATHS') or '[]')
    roots = [WORKDIR, AGENT_HOME, '/tmp', '/var/tmp', '/run/lock'] + extra
    return sorted({os.path.normpath(r) for r in roots if r not in ('', '/') and os.path.isdir(r)})


def disk_usage(roots):
    seen, total = set(), 0
    for root in roots:
        for path in walk(root):
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
    return total


def watch_disk():
    as_agent()  # walk with the agent's eyes: what it cannot list, it could not have written
    roots, interval = disk_roots(), 0.25
    while True:
        time.sleep(interval)
        if not live_pids((1, os.getpid())):
            continue
        started = time.monotonic()
        used = disk_usage(roots)
        # A big tree costs more to sum: look less often (about 5% of a core), but at least every 2 s.
        interval = min(2.0, max(0.25, (time.monotonic() - started) * 20))
        if used > DISK_LIMIT and DISK['exceeded'] is None:
            DISK['exceeded'] = 'the sandbox holds %d MiB, over its %d MiB disk limit' % (used >> 20, DISK_LIMIT >> 20)
            kill_agent_processes()


def start_disk_watch():
    if DISK_LIMIT > 0:
        import resource
        resource.setrlimit(resource.RLIMIT_FSIZE, (DISK_LIMIT, DISK_LIMIT))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the helper gets EFBIG; its children the signal
        threading.Thread(target=watch_disk, daemon=True).start()


def op_exec(req, rid):
    argv = req.get('argv') or ['/bin/bash', '-c', req['cmd']]
    env = agent_env()
    env.update(req.get('env') or {})
    cwd = resolve(req.get('cwd') or WORKDIR)
    cap = int(req.get('maxOutputBytes') or 1 << 20)
    streaming = bool(req.get('stream'))
    timeout_ms = req.get('timeoutMs')
    stdin_data = base64.b64decode(req['stdin']) if req.get('stdin') is not None else None
    if not os.path.isdir(cwd):
        raise OpError('not_found', 'working directory %s does not exist' % cwd)
    before = oom_kills()
    started = time.monotonic()
    try:
        proc = agent_popen(argv, stdin=subprocess.PIPE if stdin_data is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env,
                                start_new_session=True)
    except FileNotFoundError:
        raise OpError('not_found', 'command not found: %s' % argv[0])
    except OSError as err:
        # EAGAIN here is the pids limit biting (e.g. a fork bomb still draining).
        raise os_error(err, argv[0])
    RUNNING[rid] = proc
    if stdin_data is not None:
        def feed():
            try:
                proc.stdin.write(stdin_data)
            except OSError:
                pass
            finally:
                try:
                    proc.stdin.close()
                except OSError:
                    pass
        threading.Thread(target=feed, daemon=True).start()
    kept = {'stdout': bytearray(), 'stderr': bytearray()}
    # 'middle' keeps the head and the tail (where errors usually are) and marks the cut.
    middle = req.get('truncate') == 'middle'
    head_cap = cap - cap // 2 if middle else cap
    tails = {'stdout': bytearray(), 'stderr': bytearray()}
    totals = {'stdout': 0, 'stderr': 0}
    truncated = False
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, 'stdout')
    sel.register(proc.stderr, selectors.EVENT_READ, 'stderr')
    deadline = started + timeout_ms / 1000.0 if timeout_ms else None
    timed_out = False
    exited_at = None
    while sel.get_map():
        now = time.monotonic()
        if deadline and now >= deadline and not timed_out:
            timed_out = True
            kill_group(proc)
        if exited_at is None and proc.poll() is not None:
            exited_at = now
        # Background jobs may hold the pipes open after the command exits: stop listening soon after.
        if exited_at is not None and now - exited_at > 0.2:
            break
        for key, _ in sel.select(0.05):
            data = os.read(key.fileobj.fileno(), 65536)
            if not data:
                sel.unregister(key.fileobj)
                continue
            buf = kept[key.data]
            totals[key.data] += len(data)
            room = head_cap - len(buf)
            if room < len(data):
                truncated = True
                if middle:
                    tail = tails[key.data]
                    tail.extend(data[max(room, 0):])
                    del tail[:max(0, len(tail) - cap // 2)]
            if room > 0:
                piece = data[:room]
                buf.extend(piece)
                if streaming:
                    send({'id': rid, 'ev': 'out', 'stream': key.data, 'data': base64.b64encode(piece).decode()})
    sel.close()
    proc.stdout.close()
    proc.stderr.close()
    rc = proc.wait()
    RUNNING.pop(rid, None)
    for name in ('stdout', 'stderr'):
        if middle and tails[name]:
            omitted = totals[name] - len(kept[name]) - len(tails[name])
            kept[name] += ('\n[... %d bytes omitted ...]\n' % omitted).encode() + tails[name]
    after = oom_kills()
    killed = rc < 0
    sig = -rc if killed else None
    disk_full = DISK['exceeded']
    if disk_full is None and sig == signal.SIGXFSZ:
        disk_full = 'a file passed the sandbox\'s %d MiB disk limit' % (DISK_LIMIT >> 20)
    oom = killed and sig == signal.SIGKILL and not timed_out and before is not None and after is not None and after > before
    return {
        'exitCode': 124 if timed_out else (128 + sig if killed else rc),
        'signal': signal.Signals(sig).name if killed else None,
        'timedOut': timed_out,
        'cancelled': getattr(proc, 'physarum_cancelled', False),
        'oomKilled': oom,
        'truncated': truncated,
        'diskFull': disk_full,
        'stdout': base64.b64encode(bytes(kept['stdout'])).decode(),
        'stderr': base64.b64encode(bytes(kept['stderr'])).decode(),
        'durationMs': round((time.monotonic() - started) * 1000, 3),
    }


def op_cancel(req, rid):
    proc = RUNNING.get(req['target'])
    if proc is not None:
        proc.physarum_cancelled = True
        kill_group(proc)
    return {'found': proc is not None}


def live_pids(exclude):
    pids = []
    for name in os.listdir('/proc'):
        if not name.isdigit() or int(name) in exclude:
            continue
        try:
            with open('/proc/%s/stat' % name) as f:
                state = f.read().rsplit(') ', 1)[1][:1]
        except (OSError, IndexError):
            continue
        if state != 'Z':  # zombies are dead already; their parent (or init) reaps them
            pids.append(int(name))
    return pids


def describe_pid(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            return '%d %s' % (pid, f.read(200).replace(b'\0', b' ').decode(errors='replace').strip())
    except OSError:
        return str(pid)


def kill_agent_processes():
    exclude, signalled = (1, os.getpid()), 0
    for _ in range(50):
        victims = live_pids(exclude)
        if not victims:
            break
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
                signalled += 1
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.02)
    return signalled


def op_kill_all(req, rid):
    # Every process but init and this helper: background jobs, daemons, setsid escapes. Then the
    # check that only init and the helper remain: a survivor means the sandbox is not to be trusted.
    exclude = (1, os.getpid())
    signalled = kill_agent_processes()
    remaining = [describe_pid(pid) for pid in live_pids(exclude)]
    return {'signalled': signalled, 'remaining': remaining, 'helperPid': os.getpid(), 'helperUid': os.getuid()}
