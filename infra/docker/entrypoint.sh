#!/bin/sh
# The image's entry point: `reelay api|worker|simulator`. exec, so the service gets SIGTERM directly.
set -e
case "${1:-api}" in
  api | worker | simulator) exec node "/app/services/$1/src/main.ts" ;;
  *) echo "reelay: unknown process '$1' (expected api, worker or simulator)" >&2; exit 64 ;;
esac
