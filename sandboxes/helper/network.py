# physarum sandbox helper, part 5 of 6 (network): opt-in egress without the host. With
# `network: true` the container is on Docker's bridge, which reaches the host's services (the
# bridge gateway), other containers, link-local metadata and private ranges. Before anything of the
# agent runs, the helper (CAP_NET_ADMIN, which agent commands never get) adds `unreachable` routes
# for those in the container's own network namespace, and routes via the gateway for the spec's
# allow-list (a more specific route wins). rtnetlink by hand: the image needs no `ip` binary.
import socket, struct

PRIVATE_RANGES = ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16', '198.18.0.0/15', '224.0.0.0/4', '240.0.0.0/4']


def ipv4_routes():
    # (destination, gateway, prefix length) from /proc/net/route (little-endian hex).
    out = []
    with open('/proc/net/route') as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            dest, gw, mask = (socket.inet_ntoa(struct.pack('<I', int(x, 16))) for x in (fields[1], fields[2], fields[7]))
            out.append((dest, gw, bin(int(fields[7], 16)).count('1')))
    return out


def add_route(nl, seq, cidr, gateway=None):
    addr, _, length = cidr.partition('/')
    attrs = struct.pack('=HH4s', 8, 1, socket.inet_aton(addr))  # RTA_DST
    if gateway:
        attrs += struct.pack('=HH4s', 8, 5, socket.inet_aton(gateway))  # RTA_GATEWAY
    # rtmsg: AF_INET, dst_len, src_len, tos, RT_TABLE_MAIN, RTPROT_STATIC, scope, type (UNICAST 1 / UNREACHABLE 7)
    rtm = struct.pack('=BBBBBBBBI', 2, int(length or 32), 0, 0, 254, 4, 0, 1 if gateway else 7, 0)
    body = rtm + attrs
    # NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE; RTM_NEWROUTE
    nl.send(struct.pack('=IHHII', 16 + len(body), 24, 0x1 | 0x4 | 0x400 | 0x100, seq, 0) + body)
    reply = nl.recv(65536)
    error = struct.unpack('=i', reply[16:20])[0] if struct.unpack('=H', reply[4:6])[0] == 2 else 0
    if error != 0:
        raise OSError(-error, 'route %s: %s' % (cidr, os.strerror(-error)))


def guard_egress():
    # The blocks: private ranges, the bridge's own subnet (as two halves, more specific than the
    # link route: the gateway and the other containers), and the host addresses the host named.
    if os.environ.get('PHYSARUM_EGRESS') != 'guarded':
        return
    routes = ipv4_routes()
    gateway = next((gw for dest, gw, length in routes if length == 0), None)
    blocks = list(PRIVATE_RANGES) + json.loads(os.environ.get('PHYSARUM_EGRESS_BLOCK') or '[]')
    for dest, gw, length in routes:
        if gw == '0.0.0.0' and 0 < length < 32:
            base = struct.unpack('!I', socket.inet_aton(dest))[0]
            half = 1 << (32 - length - 1)
            blocks += ['%s/%d' % (socket.inet_ntoa(struct.pack('!I', base)), length + 1), '%s/%d' % (socket.inet_ntoa(struct.pack('!I', base + half)), length + 1)]
    nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)  # NETLINK_ROUTE
    try:
        nl.bind((0, 0))
        seq = 1
        for cidr in blocks:
            add_route(nl, seq, cidr if '/' in cidr else cidr + '/32')
            seq += 1
        for cidr in json.loads(os.environ.get('PHYSARUM_EGRESS_ALLOW') or '[]'):
            if gateway:
                add_route(nl, seq, cidr if '/' in cidr else cidr + '/32', gateway)
                seq += 1
    finally:
        nl.close()
