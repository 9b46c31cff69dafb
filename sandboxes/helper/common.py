# physarum sandbox helper, part 1 of 6 (common): a long-lived process inside each sandbox
# container that runs commands and file operations for the host, so an exec is one round trip on
# an already open stream rather than Docker's exec create + start + inspect. Standard library
# only: it runs on any image with python3. The host concatenates the parts in the order listed
# in sandboxes/helper-client.ts and passes them to `python3 -c` (nothing is installed in the image).
# Wire: one JSON object per line each way. Host -> helper: {"id", "op", ...}.
# Helper -> host: {"id", "ev": "out"|"chunk"|"done", ...}; "done" carries ok + result or error.
# Binary payloads are base64. Stdin EOF (the host went away) ends the helper and so the container.
import base64, io, json, os, pwd, selectors, shutil, signal, stat, subprocess, sys, tarfile, threading, time

OUT = sys.stdout.buffer
WRITE_LOCK = threading.Lock()
WORKDIR = os.environ.get('PHYSARUM_WORKDIR') or os.getcwd()
RUNNING = {}  # request id -> Popen, for cancel / finalize
UPLOADS = {}  # upload id -> BytesIO, filled by "upload" messages before a "restore"
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


def kind_of(mode):
    if stat.S_ISLNK(mode):
        return 'symlink'
    if stat.S_ISDIR(mode):
        return 'dir'
    if stat.S_ISREG(mode):
        return 'file'
    return 'other'


# The helper and the agent are different users (contract 7). The container starts the helper as
# root with only CAP_SETUID, CAP_SETGID and CAP_KILL (and no_new_privs); every command the host
# asks for runs as the agent user (PHYSARUM_AGENT_USER), which drops all of those on setuid and
# cannot get them back. A different uid means the agent cannot signal, ptrace or open the /proc
# fds of the helper (or of init), so it cannot stop it or answer the host in its place.
def agent_identity():
    spec = os.environ.get('PHYSARUM_AGENT_USER') or '%d:%d' % (os.getuid(), os.getgid())
    uid_text, _, gid_text = spec.partition(':')
    uid = int(uid_text)
    try:
        entry = pwd.getpwuid(uid)
        home, name, default_gid = entry.pw_dir, entry.pw_name, entry.pw_gid
    except KeyError:
        home, name, default_gid = '/', str(uid), uid
    return uid, int(gid_text) if gid_text else default_gid, home, name


AGENT_UID, AGENT_GID, AGENT_HOME, AGENT_NAME = agent_identity()
SEPARATED = os.getuid() != AGENT_UID
LIBC = None
if SEPARATED:
    import ctypes
    LIBC = ctypes.CDLL(None, use_errno=True)
    LIBC.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: no core dumps or /proc access, even for root
    os.setgroups([])


def as_agent():
    # File operations run with the agent's file-system identity on this thread only (setfsuid is
    # per thread, unlike setuid): files the host writes belong to the agent, and a path the agent
    # could not read (/etc/shadow, a symlink into the helper's /proc) is refused to the host too.
    if SEPARATED:
        LIBC.setfsgid(AGENT_GID)
        LIBC.setfsuid(AGENT_UID)
        if LIBC.setfsuid(AGENT_UID) != AGENT_UID:
            raise OpError('internal', 'could not take the agent user\'s file identity')


def agent_popen(argv, **kwargs):
    # A process of the agent: its uid and gid, no supplementary groups, its home.
    if SEPARATED:
        kwargs.update(user=AGENT_UID, group=AGENT_GID, extra_groups=[])
    return subprocess.Popen(argv, **kwargs)


def agent_run(argv, **kwargs):
    if SEPARATED:
        kwargs.update(user=AGENT_UID, group=AGENT_GID, extra_groups=[])
    return subprocess.run(argv, **kwargs)


def agent_env():
    env = dict(os.environ)
    for name in ('PHYSARUM_WORKDIR', 'PHYSARUM_AGENT_USER', 'PHYSARUM_DISK_LIMIT', 'PHYSARUM_STATE_PATHS'):
        env.pop(name, None)
    if SEPARATED:
        env.update(HOME=AGENT_HOME, USER=AGENT_NAME, LOGNAME=AGENT_NAME)
    return env
