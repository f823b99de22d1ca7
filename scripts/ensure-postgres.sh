#!/usr/bin/env bash
# Make sure the PostgreSQL used by the tests answers; start the local cluster if it is down.
# Fails with a clear message (never skips) when it cannot be reached.
set -u
url="${MOMENTOS_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"
hostport=$(echo "$url" | sed -E 's#^[^/]*//([^@/]*@)?([^/?]*).*#\2#')
host=${hostport%%:*}; port=${hostport##*:}; [ "$port" = "$hostport" ] && port=5432
if pg_isready -q -h "$host" -p "$port" 2>/dev/null; then exit 0; fi
if [ "$host" = "127.0.0.1" ] || [ "$host" = "localhost" ]; then
  echo "PostgreSQL is down on $host:$port; starting the local cluster..." >&2
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    for v in $(ls /etc/postgresql); do pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>&1 || true; done
  fi
  for _ in $(seq 1 30); do pg_isready -q -h "$host" -p "$port" 2>/dev/null && exit 0; sleep 1; done
fi
echo "ERROR: PostgreSQL is not reachable at $host:$port (from MOMENTOS_TEST_POSTGRES_URL=$url)." >&2
echo "The test suite runs on SQLite and PostgreSQL; it does not skip PostgreSQL. Start it and retry." >&2
exit 1
