# physarum sandbox helper, part 6 of 6 (main): dispatch and the request loop.


def op_ping(req, rid):
    return {'pid': os.getpid(), 'uid': os.getuid(), 'agentUid': AGENT_UID, 'workdir': WORKDIR}


# Operations that touch files run with the agent's file identity (see as_agent).
AS_AGENT = {'read', 'write', 'list', 'snapshot', 'restore'}


OPS = {'exec': op_exec, 'cancel': op_cancel, 'killAll': op_kill_all, 'read': op_read, 'write': op_write,
       'list': op_list, 'snapshot': op_snapshot, 'restore': op_restore, 'ping': op_ping}


def handle(req):
    rid = req.get('id')
    try:
        op = OPS.get(req.get('op'))
        if op is None:
            raise OpError('bad_request', 'unknown op %r' % req.get('op'))
        if req.get('op') in AS_AGENT:
            as_agent()
        send({'id': rid, 'ev': 'done', 'ok': True, 'result': op(req, rid)})
    except OpError as err:
        send({'id': rid, 'ev': 'done', 'ok': False, 'error': {'kind': err.kind, 'message': str(err)}})
    except Exception as err:  # a helper bug must answer, not hang the host
        send({'id': rid, 'ev': 'done', 'ok': False, 'error': {'kind': 'internal', 'message': '%s: %s' % (type(err).__name__, err)}})


def main():
    start_disk_watch()
    guard_egress()  # before ready: no agent command runs on an unguarded network
    send({'ev': 'ready', 'pid': os.getpid(), 'uid': os.getuid(), 'agentUid': AGENT_UID, 'workdir': WORKDIR})
    stdin = sys.stdin.buffer
    while True:
        line = stdin.readline()
        if not line:
            break
        try:
            req = json.loads(line)
        except ValueError:
            send({'id': None, 'ev': 'done', 'ok': False, 'error': {'kind': 'bad_request', 'message': 'not JSON'}})
            continue
        if req.get('op') == 'upload':
            # A header line, then `size` raw bytes (no base64 or JSON for bulk data); no answer.
            UPLOADS.setdefault(req['upload'], io.BytesIO()).write(stdin.read(int(req['size'])))
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
