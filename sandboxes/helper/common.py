# physarum sandbox helper, part 1 of 5 (common): a long-lived process inside each sandbox
# container that runs commands and file operations for the host, so an exec is one round trip on
# an already open stream rather than Docker's exec create + start + inspect. Standard library
# only: it runs on any image with python3. The host concatenates the parts in the order listed
# in sandboxes/helper-client.ts and passes them to `python3 -c` (nothing is installed in the image).
# Wire: one JSON object per line each way. Host -> helper: {"id", "op", ...}.
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


def kind_of(mode):
    if stat.S_ISLNK(mode):
        return 'symlink'
    if stat.S_ISDIR(mode):
        return 'dir'
    if stat.S_ISREG(mode):
        return 'file'
    return 'other'
