# physarum sandbox helper: a long-lived process inside each sandbox container that runs commands
# and file operations for the host, so an exec is one round trip on an already open stream rather
# than Docker's exec create + start + inspect. Standard library only: it runs on any image with
# python3. Wire: one JSON object per line each way. Host -> helper: {"id", "op", ...}.
# Helper -> host: {"id", "ev": "out"|"chunk"|"done", ...}; "done" carries ok + result or error.
# Binary payloads are base64. Stdin EOF (the host went away) ends the helper and so the container.
import base64, io, json, os, selectors, shutil, signal, stat, subprocess, sys, tarfile, threading, time

OUT = sys.stdout.buffer
WRITE_LOCK = threading.Lock()
WORKDIR = os.environ.get('PHYSARUM_WORKDIR') or os.getcwd()
RUNNING = {}  # request id -> Popen, for cancel / finalize
UPLOADS = {}  # upload id -> BytesIO, filled by "upload" messages before a "restore"
UID = os.getuid()
STARTED_NS = time.time_ns()  # what changed after this is this sandbox's own state (see op_snapshot)


def send(msg):
    data = (json.dumps(msg, separators=(',', ':')) + '\n').encode()
    with WRITE_LOCK:
        OUT.write(data)
        OUT.flush()


class OpError(Exception):
    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def resolve(path):
    return path if os.path.isabs(path) else os.path.join(WORKDIR, path)


def os_error(err, path):
    kinds = {2: 'not_found', 13: 'permission_denied', 21: 'is_directory', 20: 'not_a_directory', 30: 'read_only', 28: 'no_space', 17: 'exists', 39: 'not_empty'}
    return OpError(kinds.get(err.errno, 'os_error'), '%s: %s' % (path, err.strerror))


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


def op_exec(req, rid):
    argv = req.get('argv') or ['/bin/bash', '-c', req['cmd']]
    env = dict(os.environ)
    env.pop('PHYSARUM_WORKDIR', None)
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
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin_data is not None else subprocess.DEVNULL,
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
    oom = killed and sig == signal.SIGKILL and not timed_out and before is not None and after is not None and after > before
    return {
        'exitCode': 124 if timed_out else (128 + sig if killed else rc),
        'signal': signal.Signals(sig).name if killed else None,
        'timedOut': timed_out,
        'cancelled': getattr(proc, 'physarum_cancelled', False),
        'oomKilled': oom,
        'truncated': truncated,
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


def op_kill_all(req, rid):
    # Every process but init and this helper: background jobs, daemons, setsid escapes.
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
    return {'signalled': signalled}


def op_read(req, rid):
    path = resolve(req['path'])
    limit = req.get('maxBytes')
    try:
        with open(path, 'rb') as f:
            size = os.fstat(f.fileno()).st_size
            data = f.read(limit if limit is not None else -1)
    except OSError as err:
        raise os_error(err, req['path'])
    return {'data': base64.b64encode(data).decode(), 'size': size, 'truncated': limit is not None and size > limit}


def op_write(req, rid):
    path = resolve(req['path'])
    data = base64.b64decode(req['data'])
    try:
        if req.get('mkdirs', True):
            os.makedirs(os.path.dirname(path) or '/', exist_ok=True)
        with open(path, 'ab' if req.get('append') else 'wb') as f:
            f.write(data)
        if req.get('mode') is not None:
            os.chmod(path, int(req['mode']))
    except OSError as err:
        raise os_error(err, req['path'])
    return {'bytes': len(data)}


def kind_of(mode):
    if stat.S_ISLNK(mode):
        return 'symlink'
    if stat.S_ISDIR(mode):
        return 'dir'
    if stat.S_ISREG(mode):
        return 'file'
    return 'other'


def op_list(req, rid):
    root = resolve(req.get('path') or '.')
    depth = int(req.get('maxDepth', 1))
    limit = int(req.get('maxEntries', 10000))
    hidden = bool(req.get('includeHidden', True))
    try:
        if not stat.S_ISDIR(os.stat(root).st_mode):
            raise OpError('not_a_directory', '%s is not a directory' % req.get('path'))
    except OSError as err:
        raise os_error(err, req.get('path') or '.')
    entries, truncated, stack = [], False, [(root, '', 1)]
    while stack and not truncated:
        directory, prefix, level = stack.pop()
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            continue
        for name in names:
            if not hidden and name.startswith('.'):
                continue
            if len(entries) >= limit:
                truncated = True
                break
            full = os.path.join(directory, name)
            try:
                st = os.lstat(full)
            except OSError:
                continue
            kind = kind_of(st.st_mode)
            entries.append({'path': prefix + name, 'type': kind, 'size': st.st_size, 'mode': stat.S_IMODE(st.st_mode)})
            if kind == 'dir' and level < depth:
                stack.append((full, prefix + name + '/', level + 1))
    entries.sort(key=lambda e: e['path'])
    return {'entries': entries, 'truncated': truncated}


def state_roots(extra):
    # Everywhere the (non-root) sandbox user can leave state, plus the env's extra paths.
    home = os.environ.get('HOME') or ''
    roots = [WORKDIR] + ([home] if home not in ('', '/') else []) + ['/tmp', '/var/tmp'] + list(extra or [])
    seen, out = set(), []
    for root in roots:
        root = os.path.normpath(root)
        if root not in seen and os.path.isdir(root) and not os.path.islink(root):
            seen.add(root)
            out.append(root)
    return out


def walk(root):
    yield root
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            yield os.path.join(directory, name)


def pack(paths, skipped):
    # GNU tar where the image has it (C, several times faster than tarfile), tarfile otherwise.
    if paths and shutil.which('tar'):
        listing = b''.join(p.lstrip('/').encode() + b'\0' for p in paths)
        r = subprocess.run(['tar', '-c', '-f', '-', '-C', '/', '--no-recursion', '--null', '-T', '-'],
                           input=listing, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode == 0:
            return r.stdout
        skipped.extend(line for line in r.stderr.decode(errors='replace').splitlines() if line)
        return b''
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w', format=tarfile.PAX_FORMAT) as tar:
        for path in paths:
            try:
                tar.add(path, arcname=path.lstrip('/') or '.', recursive=False)
            except OSError as err:
                skipped.append('%s: %s' % (path, err.strerror))
    return buf.getvalue()


def unpack(data):
    if not data:
        return
    if shutil.which('tar'):
        # -p keeps modes for a non-root user; GNU tar replaces (unlinks) existing files.
        r = subprocess.run(['tar', '-x', '-p', '-f', '-', '-C', '/'], input=data, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if r.returncode != 0:
            raise OpError('os_error', 'unpacking the snapshot failed: %s' % r.stderr.decode(errors='replace')[-500:])
        return
    with tarfile.open(fileobj=io.BytesIO(data), mode='r') as tar:
        for member in tar.getmembers():
            target = '/' + member.name
            # Replace rather than overwrite: a read-only file would refuse the new content.
            if not member.isdir() and os.path.lexists(target) and not os.path.isdir(target):
                os.unlink(target)
        tar.extractall('/')


def op_snapshot(req, rid):
    # The state of this sandbox relative to its image: every path under the state roots (so a
    # copy can delete what is gone) and an archive of what changed since the helper started.
    # ctime cannot be set by user code, so "ctime after start" is exactly "touched in this sandbox".
    roots = state_roots(req.get('extra'))
    manifest, changed, skipped = [], [], []
    for root in roots:
        for path in walk(root):
            try:
                st = os.lstat(path)
            except OSError:
                continue
            manifest.append(path)
            # Only what this user owns: it could not have changed the rest (a root-owned /tmp whose
            # entries changed is not ours to chmod in the copies).
            if st.st_ctime_ns >= STARTED_NS and st.st_uid == UID and kind_of(st.st_mode) != 'other':
                changed.append(path)
    data = pack(changed, skipped)
    for i in range(0, len(data), 1 << 20):
        send({'id': rid, 'ev': 'chunk', 'data': base64.b64encode(data[i:i + (1 << 20)]).decode()})
    return {'roots': roots, 'manifest': manifest, 'changed': len(changed), 'bytes': len(data), 'skipped': skipped}


def remove_tree(path):
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        for name in os.listdir(path):
            remove_tree(os.path.join(path, name))
        os.rmdir(path)
    else:
        os.unlink(path)


def op_restore(req, rid):
    # Makes this sandbox's state equal to a snapshot of one from the same image: remove what the
    # snapshot does not have, then unpack what it changed.
    keep = set(req.get('manifest') or [])
    try:
        for root in req.get('roots') or []:
            if not os.path.isdir(root):
                continue
            for directory, dirs, files in os.walk(root, topdown=True):
                for name in list(dirs):
                    path = os.path.join(directory, name)
                    if path not in keep:
                        remove_tree(path)
                        dirs.remove(name)
                for name in files:
                    path = os.path.join(directory, name)
                    if path not in keep:
                        os.unlink(path)
        data = UPLOADS.pop(req['upload'], io.BytesIO()).getvalue()
        unpack(data)
    except OSError as err:
        raise os_error(err, getattr(err, 'filename', None) or 'restore')
    return {'bytes': len(data)}


def op_ping(req, rid):
    return {'pid': os.getpid(), 'uid': os.getuid(), 'workdir': WORKDIR}


OPS = {'exec': op_exec, 'cancel': op_cancel, 'killAll': op_kill_all, 'read': op_read, 'write': op_write,
       'list': op_list, 'snapshot': op_snapshot, 'restore': op_restore, 'ping': op_ping}


def handle(req):
    rid = req.get('id')
    try:
        op = OPS.get(req.get('op'))
        if op is None:
            raise OpError('bad_request', 'unknown op %r' % req.get('op'))
        send({'id': rid, 'ev': 'done', 'ok': True, 'result': op(req, rid)})
    except OpError as err:
        send({'id': rid, 'ev': 'done', 'ok': False, 'error': {'kind': err.kind, 'message': str(err)}})
    except Exception as err:  # a helper bug must answer, not hang the host
        send({'id': rid, 'ev': 'done', 'ok': False, 'error': {'kind': 'internal', 'message': '%s: %s' % (type(err).__name__, err)}})


def main():
    send({'ev': 'ready', 'pid': os.getpid(), 'uid': os.getuid(), 'workdir': WORKDIR})
    for line in sys.stdin.buffer:
        try:
            req = json.loads(line)
        except ValueError:
            send({'id': None, 'ev': 'done', 'ok': False, 'error': {'kind': 'bad_request', 'message': 'not JSON'}})
            continue
        if req.get('op') == 'upload':  # ordered chunks: append inline, no answer
            UPLOADS.setdefault(req['upload'], io.BytesIO()).write(base64.b64decode(req['data']))
            continue
        if req.get('op') == 'cancel':  # inline: it must work even when no thread can start
            handle(req)
            continue
        try:
            threading.Thread(target=handle, args=(req,), daemon=True).start()
        except RuntimeError:
            # The pids limit is exhausted (a fork bomb): answer now instead of dying.
            send({'id': req.get('id'), 'ev': 'done', 'ok': False,
                  'error': {'kind': 'busy', 'message': 'cannot start: the sandbox process limit is reached'}})
    for proc in list(RUNNING.values()):
        kill_group(proc)


if __name__ == '__main__':
    main()
