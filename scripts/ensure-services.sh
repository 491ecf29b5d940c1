#!/usr/bin/env bash
# The tests need PostgreSQL on 127.0.0.1:5432 (trust auth, database `test`).
# This machine kind runs it already; if it has stopped, start the local cluster.
set -euo pipefail
up() { python3 - <<'PY'
import socket, sys
s = socket.socket()
s.settimeout(1)
sys.exit(0 if s.connect_ex(("127.0.0.1", 5432)) == 0 else 1)
PY
}
if up; then exit 0; fi
if command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "PostgreSQL is not answering on 127.0.0.1:5432; starting the local cluster" >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
for _ in $(seq 1 30); do up && exit 0; sleep 1; done
echo "PostgreSQL is not reachable on 127.0.0.1:5432; start it (see README, Tests)" >&2
exit 1
