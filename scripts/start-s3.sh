#!/usr/bin/env bash
# start-s3.sh — run a real S3-compatible object store (OpenStack Swift 2.30 from
# Debian 12, single node "Swift All In One", 1 replica, tempauth + s3api) on
# 127.0.0.1 for automated tests.
#
# usage: start-s3.sh [DATA_DIR] [PORT]
#   DATA_DIR  where config, rings, data, logs and pid files go (default /tmp/s3data)
#   PORT      S3 endpoint port on 127.0.0.1 (default 8080). PORT+1..PORT+4 are
#             used by the account, container and object servers and memcached.
#             "auto": the port this DATA_DIR used last, else 5 free ports at random.
# env (all optional):
#   S3_ACCESS_KEY  "account:user" (tempauth needs the colon form; default test:tester)
#   S3_SECRET_KEY  default: random, generated once per DATA_DIR and kept there
#   S3_BUCKET      bucket created at start (default test-bucket; empty = none)
#   S3_NO_FSYNC    1 (default) = run the servers under eatmydata (no fsync: faster,
#                  not crash-safe); 0 = keep fsync
#   S3_LOG_LEVEL   Swift log level (default WARNING); logs go to DATA_DIR/log/*.log
#   S3_READY_TIMEOUT seconds to wait for readiness (default 90)
#   S3_STORAGE     where objects live (default auto = xfs when root, else dir):
#                    xfs   = sparse file image DATA_DIR/disk.img, XFS, loop-mounted on
#                            DATA_DIR/srv/node/d1 (persistent; needs root + loop devices)
#                    tmpfs = tmpfs mounted there (RAM, fastest, emptied by stop-s3.sh)
#                    dir   = plain folder; on ext4 an object whose key + metadata
#                            exceed ~2 KiB fails with 503 (ext4 xattr space)
#   S3_DISK_SIZE   size of the xfs image / tmpfs (default 20G, image is sparse)
#   S3_COMPAT_SHIM 1 (default) = add a small filter in front of s3api that (a) adds the
#                  Content-MD5 that Swift 2.30 demands on DeleteObjects but boto3 >= 1.36
#                  no longer sends, (b) lets PutObject with If-None-Match: * through
#                  to Swift, which answers 412 when the key exists; 0 = stock Swift
#   S3_WORKERS     worker processes per Swift server (default 0 = one process each,
#                  no forking; N>0 = a parent plus N children per server)
# Prints: S3_ENDPOINT=... S3_ACCESS_KEY=... S3_SECRET_KEY=... S3_BUCKET=... S3_REGION=...
# (one line, also written to DATA_DIR/s3.env). Stop with stop-s3.sh DATA_DIR.
# Idempotent: run again on a DATA_DIR whose servers still answer, it prints the same
# line and starts nothing. Missing Debian packages are installed (root needed).
# Started from a worked example measured on these machines; see docs/scale-out.md.
set -euo pipefail

log() { echo "[start-s3] $*" >&2; }
die() {
  echo "[start-s3] ERROR: $*" >&2
  [ "${LAUNCHED:-0}" = 1 ] && abort_cleanup
  exit 1
}
# start time of a PID (field 22 of /proc/PID/stat, counted after the "(comm)")
starttime() { sed -E 's/^.*\) //' "/proc/$1/stat" 2>/dev/null | awk '{print $20}'; }
# on a failed start: stop what this run launched and unmount what it mounted
abort_cleanup() {
  local f pid st
  for f in "$RUN"/*.pid; do
    [ -e "$f" ] || continue
    read -r pid st < "$f" || true
    [ -n "${pid:-}" ] && [ "$(starttime "$pid")" = "$st" ] && kill -TERM "$pid" 2>/dev/null
    rm -f "$f"
  done
  sleep 1
  [ "${MOUNTED_HERE:-0}" = 1 ] && { umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || true; }
  return 0
}

DATA_DIR=${1:-/tmp/s3data}
PORT=${2:-8080}
# a port is in use when something accepts a connection on it
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# first port of COUNT consecutive free ports in 10000..(the first ephemeral port)
# Below the kernel's ephemeral ports: a server restarted on its ports must not find one taken as
# the local port of some client's connection (a memcached restarted on one did).
EPHEMERAL_START=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
[[ "$EPHEMERAL_START" =~ ^[0-9]+$ ]] && [ "$EPHEMERAL_START" -gt 11000 ] || EPHEMERAL_START=32768
free_port_block() {
  local base p
  for _ in $(seq 1 200); do
    base=$(( 10000 + (RANDOM * 32768 + RANDOM) % (EPHEMERAL_START - 10000 - $1) ))
    for ((p = base; p < base + $1; p++)); do port_in_use "$p" && continue 2; done
    echo "$base"; return 0
  done
  return 1
}
if [ "$PORT" = auto ]; then
  PORT=$(sed -n 's|^S3_ENDPOINT=http://127.0.0.1:\([0-9]*\) .*|\1|p' "$DATA_DIR/s3.env" 2>/dev/null || true)
  [ -n "$PORT" ] || PORT=$(free_port_block 5) || die "found no 5 consecutive free ports on 127.0.0.1"
fi
[[ "$PORT" =~ ^[0-9]+$ ]] && [ "$PORT" -ge 1024 ] && [ "$PORT" -le 65530 ] || die "PORT must be 1024..65530 or auto, got '$PORT'"
ACCESS_KEY=${S3_ACCESS_KEY:-test:tester}
BUCKET=${S3_BUCKET-test-bucket}
NO_FSYNC=${S3_NO_FSYNC:-1}
LOG_LEVEL=${S3_LOG_LEVEL:-WARNING}
READY_TIMEOUT=${S3_READY_TIMEOUT:-90}
WORKERS=${S3_WORKERS:-0}
COMPAT_SHIM=${S3_COMPAT_SHIM:-1}
STORAGE=${S3_STORAGE:-auto}
DISK_SIZE=${S3_DISK_SIZE:-20G}
AUTO_STORAGE=0
if [ "$STORAGE" = auto ]; then
  AUTO_STORAGE=1
  if [ "$(id -u)" = 0 ]; then STORAGE=xfs; else STORAGE=dir; fi
fi
case "$STORAGE" in xfs|tmpfs|dir) ;; *) die "S3_STORAGE must be auto, xfs, tmpfs or dir";; esac
REGION=us-east-1

case "$ACCESS_KEY" in
  *:*) ;;
  *) die "S3_ACCESS_KEY must look like account:user (tempauth), got '$ACCESS_KEY'";;
esac
SW_ACCOUNT=${ACCESS_KEY%%:*}
SW_USER=${ACCESS_KEY#*:}
[[ "$SW_ACCOUNT$SW_USER" =~ ^[A-Za-z0-9-]+$ ]] || die "account/user may only use [A-Za-z0-9-]"

ACC_PORT=$((PORT + 1)); CON_PORT=$((PORT + 2)); OBJ_PORT=$((PORT + 3)); MC_PORT=$((PORT + 4))

# ---------------------------------------------------------------- 1. packages
PKGS=(swift swift-proxy swift-object swift-container swift-account python3-swift memcached curl)
[ "$NO_FSYNC" = 1 ] && PKGS+=(eatmydata)
[ "$STORAGE" = xfs ] && PKGS+=(xfsprogs)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "need root to install: ${missing[*]} (run: sudo apt-get install ${missing[*]})"
  log "installing ${missing[*]}"
  t0=$(date +%s)
  export DEBIAN_FRONTEND=noninteractive
  # the packages' postinst scripts try to start system services: block that
  # (only while we install) unless a policy-rc.d already exists
  own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; own_policy=1
  fi
  APT_LOG=$(mktemp -t start-s3-apt.XXXXXX)   # kept on failure, named in the error
  APT=(apt-get -o DPkg::Lock::Timeout=300 -y -q --no-install-recommends)
  if ! "${APT[@]}" install "${missing[@]}" >"$APT_LOG" 2>&1; then
    { apt-get -o DPkg::Lock::Timeout=300 -q update && "${APT[@]}" install "${missing[@]}"; } >>"$APT_LOG" 2>&1 || {
      [ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
      die "apt-get could not install ${missing[*]}: $(grep -E '^(E|W):' "$APT_LOG" | tail -n 2 | tr '\n' ' ')(full log: $APT_LOG)"
    }
  fi
  [ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
  rm -f "$APT_LOG"
  log "installed in $(( $(date +%s) - t0 )) s"
fi

# swift.conf is read from the hard-coded /etc/swift/swift.conf by every server
# (the Debian package ships one with a valid [swift-hash]); create it if missing.
if ! grep -qs '^swift_hash_path_suffix' /etc/swift/swift.conf; then
  mkdir -p /etc/swift
  cat > /etc/swift/swift.conf <<'EOF'
[swift-hash]
swift_hash_path_suffix = s3-test-suffix
swift_hash_path_prefix = s3-test-prefix
[storage-policy:0]
name = Policy-0
default = yes
EOF
fi

# ---------------------------------------------------------------- 2. layout
case "$DATA_DIR" in *[[:space:]]*) die "DATA_DIR must not contain spaces";; esac
mkdir -p "$DATA_DIR"
DATA_DIR=$(cd "$DATA_DIR" && pwd -P)
ETC=$DATA_DIR/etc; RUN=$DATA_DIR/run; LOGD=$DATA_DIR/log; DEV=$DATA_DIR/srv/node
mkdir -p "$ETC" "$RUN" "$LOGD" "$DEV/d1"
RUN_USER=$(id -un)
MNT=$DEV/d1

# already running on this folder: answer with the same line (idempotent); half
# running (some processes gone): refuse, stop-s3.sh cleans up
alive=0; dead=0
for f in "$RUN"/*.pid; do
  [ -e "$f" ] || continue
  read -r pid st < "$f" || true
  if [ -n "${pid:-}" ] && [ "$(starttime "$pid")" = "$st" ]; then alive=$((alive + 1)); else dead=$((dead + 1)); fi
done
if [ $alive -gt 0 ]; then
  [ $dead = 0 ] || die "$DATA_DIR is half running ($alive processes alive, $dead gone); run scripts/stop-s3.sh $DATA_DIR first"
  grep -qs "=http://127.0.0.1:$PORT " "$DATA_DIR/s3.env" \
    || die "$DATA_DIR already runs, but not on port $PORT ($(cut -d' ' -f1 "$DATA_DIR/s3.env" 2>/dev/null)); stop it first with scripts/stop-s3.sh $DATA_DIR"
  curl -fs -o /dev/null --max-time 5 "http://127.0.0.1:$PORT/healthcheck" \
    || die "$DATA_DIR runs but port $PORT does not answer its health check; run scripts/stop-s3.sh $DATA_DIR first"
  log "already running for $DATA_DIR"
  cat "$DATA_DIR/s3.env"
  exit 0
fi
rm -f "$RUN"/*.pid
for p in $PORT $ACC_PORT $CON_PORT $OBJ_PORT $MC_PORT; do
  if port_in_use "$p"; then die "port $p on 127.0.0.1 is already in use"; fi
done

# storage device d1
if [ "$STORAGE" != dir ] && ! mountpoint -q "$MNT"; then
  if [ "$STORAGE" = xfs ]; then
    IMG=$DATA_DIR/disk.img
    [ -s "$IMG" ] || { truncate -s "$DISK_SIZE" "$IMG" && mkfs.xfs -q "$IMG"; } || die "mkfs.xfs failed"
    mount -o loop,noatime,discard "$IMG" "$MNT" 2>/dev/null && MOUNTED_HERE=1 || mount_failed=1
  else
    mount -t tmpfs -o "size=$DISK_SIZE,mode=0755" s3-tmpfs "$MNT" 2>/dev/null && MOUNTED_HERE=1 || mount_failed=1
  fi
  if [ "${mount_failed:-0}" = 1 ]; then
    [ $AUTO_STORAGE = 1 ] || die "cannot mount $STORAGE on $MNT (root and loop devices needed); use S3_STORAGE=dir"
    log "WARNING: cannot mount $STORAGE (no root/loop device?): using a plain folder; on ext4, key + metadata > ~2 KiB will fail"
    STORAGE=dir
  fi
fi
echo "$STORAGE" > "$RUN/storage"

# secret: env, else the one kept in DATA_DIR, else a new random one
if [ -n "${S3_SECRET_KEY:-}" ]; then SECRET_KEY=$S3_SECRET_KEY
elif [ -s "$ETC/secret" ]; then SECRET_KEY=$(cat "$ETC/secret")
else SECRET_KEY=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n'); fi
[[ "$SECRET_KEY" =~ ^[A-Za-z0-9._~+/=-]+$ ]] || die "S3_SECRET_KEY must not contain spaces or odd characters"
( umask 077; printf '%s' "$SECRET_KEY" > "$ETC/secret" )

# ---------------------------------------------------------------- 3. config
common_backend() { # $1 = port
  cat <<EOF
[DEFAULT]
devices = $DEV
mount_check = false
disable_fallocate = true
bind_ip = 127.0.0.1
bind_port = $1
workers = $WORKERS
swift_dir = $ETC
user = $RUN_USER
log_level = $LOG_LEVEL
log_udp_host = 127.0.0.1
log_udp_port = 514

EOF
}
{ common_backend $ACC_PORT; cat <<EOF
[pipeline:main]
pipeline = healthcheck account-server
[app:account-server]
use = egg:swift#account
[filter:healthcheck]
use = egg:swift#healthcheck
EOF
} > "$ETC/account-server.conf"
{ common_backend $CON_PORT; cat <<EOF
[pipeline:main]
pipeline = healthcheck container-server
[app:container-server]
use = egg:swift#container
[filter:healthcheck]
use = egg:swift#healthcheck
EOF
} > "$ETC/container-server.conf"
{ common_backend $OBJ_PORT; cat <<EOF
[pipeline:main]
pipeline = healthcheck object-server
[app:object-server]
use = egg:swift#object
# a slow container update would otherwise be queued as an "async pending" that
# only swift-object-updater replays: listings would miss the object
container_update_timeout = 30
node_timeout = 30
conn_timeout = 5
[filter:healthcheck]
use = egg:swift#healthcheck
EOF
} > "$ETC/object-server.conf"

SHIM=
if [ "$COMPAT_SHIM" = 1 ]; then
  SHIM=s3compat
  cat > "$ETC/s3compat.py" <<'PY'
"""Shims for Swift 2.30's s3api (Debian 12), loaded by proxy-server.conf.

1. DeleteObjects: s3api requires Content-MD5; boto3 >= 1.36 (and other new SDKs)
   send x-amz-checksum-crc32 instead. Add the header from the body. Content-MD5
   is then not among the client's SignedHeaders, so signatures still match.
2. PutObject with If-None-Match: * (conditional create): s3api rejects every
   conditional PUT with 501. Let this one through: Swift's proxy and object
   server implement If-None-Match: * natively (412 -> S3 PreconditionFailed).
   Swift checks-then-writes without a lock, so concurrent conditional PUTs of
   one key could all win; S3Compat serialises them per key inside this proxy
   process (exactly one winner while the proxy runs with workers = 0).
"""
import base64
import hashlib
import io
import re

from eventlet.semaphore import Semaphore
from swift.common.middleware.s3api import s3request

_DELETE_QS = re.compile(r'(^|&)delete(=[^&]*)?(&|$)')
_orig_validate_headers = s3request.S3Request._validate_headers


def _validate_headers(self):
    inm = self.headers.get('If-None-Match')
    if (self.method == 'PUT' and inm is not None and inm.strip() == '*'
            and self.object_name and 'X-Amz-Copy-Source' not in self.headers
            and not any(h in self.headers for h in (
                'If-Match', 'If-Modified-Since', 'If-Unmodified-Since'))):
        del self.headers['If-None-Match']
        try:
            return _orig_validate_headers(self)
        finally:
            self.headers['If-None-Match'] = inm
    return _orig_validate_headers(self)


s3request.S3Request._validate_headers = _validate_headers


class S3Compat(object):
    def __init__(self, app):
        self.app = app
        self.locks = {}   # path -> [Semaphore, users]

    def _locked_call(self, key, env, start_response):
        entry = self.locks.setdefault(key, [Semaphore(1), 0])
        entry[1] += 1
        try:
            with entry[0]:
                # a PUT's work is done once the body is drained
                return list(self.app(env, start_response))
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                self.locks.pop(key, None)

    def __call__(self, env, start_response):
        if (env.get('REQUEST_METHOD') == 'PUT'
                and env.get('HTTP_IF_NONE_MATCH', '').strip() == '*'
                and env.get('PATH_INFO', '/').strip('/').count('/') >= 1):
            return self._locked_call(env['PATH_INFO'], env, start_response)
        if (env.get('REQUEST_METHOD') == 'POST'
                and 'HTTP_CONTENT_MD5' not in env
                and _DELETE_QS.search(env.get('QUERY_STRING', ''))):
            try:
                length = int(env.get('CONTENT_LENGTH') or 0)
            except ValueError:
                length = 0
            if 0 < length <= 4 * 1024 * 1024:
                body = env['wsgi.input'].read(length)
                env['wsgi.input'] = io.BytesIO(body)
                env['CONTENT_LENGTH'] = str(len(body))
                env['HTTP_CONTENT_MD5'] = base64.b64encode(
                    hashlib.md5(body).digest()).decode('ascii')
        return self.app(env, start_response)


def filter_factory(global_conf, **local_conf):
    return S3Compat
PY
fi

cat > "$ETC/proxy-server.conf" <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $PORT
workers = $WORKERS
swift_dir = $ETC
user = $RUN_USER
log_level = $LOG_LEVEL
log_udp_host = 127.0.0.1
log_udp_port = 514

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats $SHIM s3api tempauth copy slo dlo versioned_writes symlink proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
allow_account_management = true
account_autocreate = true
conn_timeout = 5
node_timeout = 60
client_timeout = 120
# one node only: never "error-limit" it after a few slow answers
error_suppression_limit = 100000
error_suppression_interval = 1

[filter:tempauth]
use = egg:swift#tempauth
user_${SW_ACCOUNT}_${SW_USER} = $SECRET_KEY .admin .reseller_admin
token_life = 86400

[filter:s3api]
use = egg:swift#s3api
location = $REGION
s3_acl = false
allow_multipart_uploads = true
max_upload_part_num = 10000
max_bucket_listing = 1000
max_multi_delete_objects = 1000

[filter:s3compat]
paste.filter_factory = s3compat:filter_factory

[filter:slo]
use = egg:swift#slo
max_manifest_segments = 10000
[filter:dlo]
use = egg:swift#dlo
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$MC_PORT
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:copy]
use = egg:swift#copy
[filter:versioned_writes]
use = egg:swift#versioned_writes
allow_versioned_writes = true
allow_object_versioning = true
[filter:symlink]
use = egg:swift#symlink
EOF

# rings (1 replica, 1 device); rebuilt only when the ports change
RING_ID="$ACC_PORT $CON_PORT $OBJ_PORT"
if [ "$(cat "$ETC/ring-ports" 2>/dev/null)" != "$RING_ID" ] || [ ! -s "$ETC/object.ring.gz" ]; then
  /usr/bin/python3 - "$ETC" $ACC_PORT $CON_PORT $OBJ_PORT <<'PY'
import os, sys
from swift.common.ring import RingBuilder
etc, ports = sys.argv[1], dict(zip(("account", "container", "object"), map(int, sys.argv[2:5])))
for name, port in ports.items():
    b = RingBuilder(6, 1, 1)   # part power 6, 1 replica, min_part_hours 1
    b.add_dev({"id": 0, "region": 1, "zone": 1, "ip": "127.0.0.1", "port": port,
               "device": "d1", "weight": 100, "meta": ""})
    b.rebalance()
    b.get_ring().save(os.path.join(etc, name + ".ring.gz"))
    b.save(os.path.join(etc, name + ".builder"))
PY
  echo "$RING_ID" > "$ETC/ring-ports"
fi

# ---------------------------------------------------------------- 4. start
t_start=$(date +%s.%N)
WRAP=()
[ "$NO_FSYNC" = 1 ] && command -v eatmydata >/dev/null && WRAP=(eatmydata)
launch() { # name, command...
  local name=$1; shift
  setsid "$@" >> "$LOGD/$name.log" 2>&1 < /dev/null &
  local pid=$!
  # "PID STARTTIME": stop-s3.sh only signals a PID whose start time still matches
  echo "$pid $(starttime "$pid")" > "$RUN/$name.pid"
}
LAUNCHED=1   # from here on, die() stops what was launched
MC_USER=()
[ "$(id -u)" = 0 ] && MC_USER=(-u root)
# memcached: tempauth and the proxy's account/container info cache need it
launch memcached memcached -l 127.0.0.1 -p $MC_PORT -U 0 -m 64 -c 1024 -t 1 "${MC_USER[@]}"
for s in account container object; do
  launch $s-server "${WRAP[@]}" /usr/bin/swift-$s-server "$ETC/$s-server.conf" -v
done
launch proxy-server "${WRAP[@]}" env PYTHONPATH="$ETC" /usr/bin/swift-proxy-server "$ETC/proxy-server.conf" -v

# ---------------------------------------------------------------- 5. wait
deadline=$(( $(date +%s) + READY_TIMEOUT ))
ready() {
  for p in $ACC_PORT $CON_PORT $OBJ_PORT $PORT; do
    curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$p/healthcheck" || return 1
  done
}
until ready; do
  for f in "$RUN"/*.pid; do
    read -r pid _ < "$f"; kill -0 "$pid" 2>/dev/null || { tail -n 30 "$LOGD"/*.log >&2; die "$(basename "$f" .pid) died; see $LOGD"; }
  done
  [ "$(date +%s)" -lt $deadline ] || die "not ready after ${READY_TIMEOUT}s; see $LOGD"
  sleep 0.2
done

ENDPOINT=http://127.0.0.1:$PORT
# curl's --user cannot carry an access key that contains ':' → credentials go
# percent-encoded into the URL's userinfo instead
USERINFO=$(/usr/bin/python3 -c 'import sys, urllib.parse as u; print(u.quote(sys.argv[1], safe="") + ":" + u.quote(sys.argv[2], safe=""))' "$ACCESS_KEY" "$SECRET_KEY")
s3curl() { # method path  (SigV4-signed request with curl)
  curl -s -o /dev/null -w '%{http_code}' --max-time 30 -X "$1" \
    --aws-sigv4 "aws:amz:$REGION:s3" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    "http://$USERINFO@127.0.0.1:$PORT$2"
}
# first S3 call also proves auth + account autocreate + backends work end to end
until code=$(s3curl GET /) && [ "$code" = 200 ]; do
  [ "$(date +%s)" -lt $deadline ] || die "S3 ListBuckets still answers $code after ${READY_TIMEOUT}s; see $LOGD"
  sleep 0.3
done
if [ -n "$BUCKET" ]; then
  code=$(s3curl PUT "/$BUCKET")
  case $code in 200|409) ;; *) die "creating bucket $BUCKET answered HTTP $code";; esac
fi
t_ready=$(date +%s.%N)
log "storage: $STORAGE; ready in $(awk "BEGIN{printf \"%.2f\", $t_ready - $t_start}") s (pids: $(cut -d' ' -f1 "$RUN"/*.pid | tr '\n' ' '))"

LINE="S3_ENDPOINT=$ENDPOINT S3_ACCESS_KEY=$ACCESS_KEY S3_SECRET_KEY=$SECRET_KEY S3_BUCKET=$BUCKET S3_REGION=$REGION"
echo "$LINE" > "$DATA_DIR/s3.env"
echo "$LINE"
