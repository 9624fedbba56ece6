"""Exit 0 if the PostgreSQL server in argv[1] accepts connections, 1 otherwise."""

import sys

import psycopg

try:
    url = sys.argv[1].rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(url, connect_timeout=3):
        pass
except Exception as exc:
    print(f"PostgreSQL unavailable: {exc}", file=sys.stderr)
    sys.exit(1)
