# Sourced by ./reelay. Puts a Node >= 22.12 and the pinned pnpm on PATH, installing them into ./.toolchain
# from the npm registry when the machine's are missing or older (the `node` npm package ships the binary).
# Pins live here and in package.json#packageManager; keep them in step.
REELAY_NODE_VERSION=24.21.0
REELAY_PNPM_VERSION=12.21.0
REELAY_TOOLCHAIN_DIR="$PWD/.toolchain"

_node_is_recent() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=12)?0:1)' 2>/dev/null
}

_toolchain_install() {
  # $@: npm package specs. npm is the only thing a fresh machine is guaranteed to have.
  command -v npm >/dev/null 2>&1 || { echo "reelay: npm is required to bootstrap the toolchain" >&2; exit 1; }
  mkdir -p "$REELAY_TOOLCHAIN_DIR"
  [ -f "$REELAY_TOOLCHAIN_DIR/package.json" ] || echo '{"private":true}' >"$REELAY_TOOLCHAIN_DIR/package.json"
  echo "reelay: installing $* into .toolchain" >&2
  npm install --prefix "$REELAY_TOOLCHAIN_DIR" --no-audit --no-fund --loglevel=error --save-exact "$@" >&2
}

toolchain_ready() {
  export PATH="$REELAY_TOOLCHAIN_DIR/node_modules/.bin:$PATH"
  if ! _node_is_recent; then
    _toolchain_install "node@$REELAY_NODE_VERSION"
    hash -r
    _node_is_recent || { echo "reelay: could not provide Node >= 22.12 (got $(node --version 2>&1))" >&2; exit 1; }
  fi
  if [ "$(pnpm --version 2>/dev/null)" != "$REELAY_PNPM_VERSION" ]; then
    _toolchain_install "pnpm@$REELAY_PNPM_VERSION"
    hash -r
  fi
  export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
  export NODE_OPTIONS="${NODE_OPTIONS:-} --disable-warning=ExperimentalWarning"
}

install_workspace() {
  # Fast when nothing changed; --frozen-lockfile so CI and a fresh clone get exactly the committed tree.
  local stamp=node_modules/.reelay-lock
  local want
  want=$(cat pnpm-lock.yaml package.json */*/package.json 2>/dev/null | cksum)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    pnpm install --frozen-lockfile --reporter=append-only >&2
    echo "$want" >"$stamp"
  fi
}

install_system_tools() {
  # The tests probe media with ffprobe; a fresh machine lacks it. apt-get is the only other registry.
  local missing=()
  command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  # The seed's sample client (a curl script) runs in the end-to-end tests.
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  # The browser test drives Debian's chromium through playwright-core (which brings no browser).
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  # The compose file is validated by `docker compose config`; without the v2 plugin, Debian's
  # docker-compose validates the same Compose Specification file.
  docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "reelay: installing ${missing[*]} with apt-get" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    echo "reelay: the tests need ${missing[*]}; install them (e.g. apt-get install ${missing[*]})" >&2
    exit 1
  fi
}

compose_config_check() {
  if docker compose version >/dev/null 2>&1; then
    docker compose config -q
  else
    docker-compose config -q
  fi
}
