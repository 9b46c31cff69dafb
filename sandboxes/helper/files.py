# physarum sandbox helper, part 3 of 6 (files): read, write, list.


def op_read(req, rid):
    path = resolve(req['path'])
    limit = req.get('maxBytes')
    try:
        with open(path, 'rb') as f:
            size = os.fstat(f.fileno()).st_size
            if limit is None and req.get('limit') is not None and size * 4 // 3 > int(req['limit']):
                raise OpError('too_large', '%s is %d bytes, more than one read returns; read it with maxBytes' % (req['path'], size))
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
