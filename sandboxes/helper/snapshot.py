# physarum sandbox helper, part 4 of 6 (snapshot): the state copy behind group forks.


def state_roots(extra):
    # Everywhere the (non-root) sandbox user can leave state, plus the env's extra paths.
    home = AGENT_HOME
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
        r = agent_run(['tar', '-c', '-f', '-', '-C', '/', '--no-recursion', '--null', '-T', '-'],
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
        r = agent_run(['tar', '-x', '-p', '-f', '-', '-C', '/'], input=data, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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
    only = req.get('only')
    # `only` (a verification room): just these paths, files or directories, and a symlink among
    # them is carried as a link, never followed into what it points at.
    roots = [os.path.normpath(resolve(p)) for p in only if os.path.lexists(resolve(p))] if only is not None else state_roots(req.get('extra'))
    manifest, changed, skipped = [], [], []
    for root in roots:
        for path in ([root] if os.path.islink(root) else walk(root)):
            try:
                st = os.lstat(path)
            except OSError:
                continue
            manifest.append(path)
            # Only what this user owns: it could not have changed the rest (a root-owned /tmp whose
            # entries changed is not ours to chmod in the copies).
            if st.st_ctime_ns >= STARTED_NS and st.st_uid == AGENT_UID and kind_of(st.st_mode) != 'other':
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
        for root in req.get('only') or []:
            # A named path the prepared sandbox no longer has (the agent deleted it) goes here too.
            root = os.path.normpath(resolve(root))
            if root not in keep and os.path.lexists(root):
                remove_tree(root)
        for root in req.get('roots') or []:
            if not os.path.isdir(root) or os.path.islink(root):
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
