#!/usr/bin/env bash
# What the tests need besides `npm ci` on a machine of this kind (README, "Tests"): Debian's Chromium
# at /usr/bin/chromium (the console's end-to-end tests), PostgreSQL on 127.0.0.1:5432, Redis on
# 127.0.0.1:6379, python3 3.9+ (the aigccloud Python SDK's tests), and on Linux the right to mount a
# tmpfs and util-linux's prlimit (the chaos tests that fill a disk and take a process's file
# descriptors away: apps/gateway/test/chaos/disk-full and fd-exhaustion). Run by `npm test` before
# anything else, and by .ci/run.
#
# Silent when all is there. As root it prepares what is missing (installs Chromium with apt-get,
# starts the stopped PostgreSQL cluster or Redis). Otherwise, or when preparing fails, it stops at
# once with one line saying what is missing and what to run: never a wall of failing tests.
# APIGPT_TEST_PG_URL / APIGPT_TEST_REDIS_URL point the tests at other servers; those are not checked.
set -uo pipefail
cd "$(dirname "$0")/.."

CHROMIUM=/usr/bin/chromium
LOG="${TMPDIR:-/tmp}/apigpt-test-prereqs.log"

have_chromium() { [ -x "$CHROMIUM" ]; }
have_python() { command -v python3 >/dev/null && python3 -c 'import sys; sys.exit(sys.version_info < (3, 9))' 2>/dev/null; }
pg_up() { [ -n "${APIGPT_TEST_PG_URL:-}" ] || { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; }; }
redis_up() { [ -n "${APIGPT_TEST_REDIS_URL:-}" ] || { command -v redis-cli >/dev/null && [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }; }
# A tmpfs of the tests' own (root, or CAP_SYS_ADMIN): mounted and unmounted at once.
can_mount_tmpfs() {
  local d
  d=$(mktemp -d) || return 1
  if mount -t tmpfs -o size=1m tmpfs "$d" 2>/dev/null; then umount "$d"; rmdir "$d"; return 0; fi
  rmdir "$d"
  return 1
}
have_prlimit() { command -v prlimit >/dev/null; }
# Polls a check for up to $2 seconds (a server takes a moment to accept connections).
wait_for() { local i; for ((i = 0; i < $2 * 10; i++)); do "$1" && return 0; sleep 0.1; done; "$1"; }

# Chinese text in the console's screenshots needs a CJK font (the tests read the page's text, so
# this is for the people looking at the pictures): installed when we may, never required.
have_cjk_fonts() { fc-list :lang=zh 2>/dev/null | grep -q .; }
if ! have_cjk_fonts && [ "$(id -u)" -eq 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk) >>"$LOG" 2>&1 || true
fi

missing=()
have_chromium || missing+=("Chromium at $CHROMIUM")
have_python || missing+=("python3 (3.9 or later)")
pg_up || missing+=("PostgreSQL on 127.0.0.1:5432")
redis_up || missing+=("Redis on 127.0.0.1:6379")
can_mount_tmpfs || missing+=("the right to mount a tmpfs (root)")
have_prlimit || missing+=("prlimit (util-linux)")
[ ${#missing[@]} -eq 0 ] && exit 0

joined() { local IFS=';'; local s="${missing[*]}"; echo "${s//;/, }"; }

if [ "$(id -u)" -ne 0 ]; then
  echo "test prerequisites missing: $(joined). Run as root: bash scripts/test-prereqs.sh (it installs or starts them), then npm test." >&2
  exit 1
fi

: >"$LOG"
if ! have_chromium || ! have_python || ! have_prlimit; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium python3 util-linux) >>"$LOG" 2>&1
fi
if ! pg_up; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql 2>/dev/null | head -n1)" main start >>"$LOG" 2>&1
  wait_for pg_up 10
fi
if ! redis_up; then
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log >>"$LOG" 2>&1
  wait_for redis_up 10
fi

missing=()
have_chromium || missing+=("Chromium at $CHROMIUM (apt-get install chromium)")
have_python || missing+=("python3 3.9+ (apt-get install python3)")
pg_up || missing+=("PostgreSQL on 127.0.0.1:5432 (pg_ctlcluster <version> main start)")
redis_up || missing+=("Redis on 127.0.0.1:6379 (redis-server)")
can_mount_tmpfs || missing+=("the right to mount a tmpfs (a container needs CAP_SYS_ADMIN)")
have_prlimit || missing+=("prlimit (apt-get install util-linux)")
if [ ${#missing[@]} -ne 0 ]; then
  echo "test prerequisites could not be prepared: $(joined); see $LOG." >&2
  exit 1
fi
