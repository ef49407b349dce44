#!/usr/bin/env bash
# One entry point for the README's two commands, on a fresh Debian or Fedora machine as root:
#   scripts/quickstart.sh demo   set up, then run the demo on the embedded database
#   scripts/quickstart.sh test   set up, start PostgreSQL and RabbitMQ, then run the whole suite
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-}
case "$mode" in
  demo | test) ;;
  *)
    echo "usage: $0 demo|test" >&2
    exit 2
    ;;
esac

log() { printf '\n== %s\n' "$*"; }

# System packages: only what is missing is installed.
debian_packages=(nodejs npm g++ make python3 pkg-config libsolv-dev libsolvext-dev)
fedora_packages=(nodejs npm gcc-c++ make python3 pkgconf libsolv-devel)
if [ "$mode" = test ]; then
  # chromium: the browser tests drive it through playwright-core (KOSCHEI_CHROMIUM overrides
  # its path). nginx-light, apache2 and its OpenID Connect module: the reverse-proxy examples
  # of deploy/ are tested in the real servers (skipped where they are missing).
  debian_packages+=(postgresql rabbitmq-server openssl chromium nginx-light apache2 libapache2-mod-auth-openidc)
  fedora_packages+=(postgresql-server postgresql-contrib rabbitmq-server openssl chromium)
fi

install_system_packages() {
  if command -v dpkg-query >/dev/null && command -v apt-get >/dev/null; then
    local missing=()
    for pkg in "${debian_packages[@]}"; do
      dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    # A machine with its own Node.js (not from Debian) keeps it.
    if command -v node >/dev/null && command -v npm >/dev/null; then
      missing=("${missing[@]/nodejs/}")
      missing=("${missing[@]/npm/}")
    fi
    read -r -a missing <<<"${missing[*]}"
    if ((${#missing[@]})); then
      log "installing ${missing[*]}"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
  elif command -v dnf >/dev/null; then
    local missing=()
    for pkg in "${fedora_packages[@]}"; do rpm -q "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    if ((${#missing[@]})); then
      log "installing ${missing[*]}"
      dnf install -y -q "${missing[@]}"
    fi
  else
    echo "neither apt-get nor dnf found: install ${debian_packages[*]} yourself" >&2
  fi
}

start_postgresql() {
  if command -v pg_lsclusters >/dev/null; then
    if ! pg_lsclusters -h | grep -q online; then
      local version
      version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
      if [ -z "$version" ]; then
        version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
        pg_createcluster "$version" main
      fi
      log "starting PostgreSQL $version"
      pg_ctlcluster --skip-systemctl-redirect "$version" main start
    fi
  elif command -v postgresql-setup >/dev/null; then
    [ -f /var/lib/pgsql/data/PG_VERSION ] || postgresql-setup --initdb
    if ! su postgres -c "pg_ctl -D /var/lib/pgsql/data status" >/dev/null 2>&1; then
      log "starting PostgreSQL"
      su postgres -c "pg_ctl -D /var/lib/pgsql/data -l /var/lib/pgsql/logfile -w start"
    fi
  fi
  for _ in $(seq 1 30); do
    su postgres -c "psql -qAtc 'select 1'" >/dev/null 2>&1 && break
    sleep 1
  done
  # The tests connect over the local socket as this user, who must be a superuser to create
  # and drop a database per test file.
  local me
  me=$(id -un)
  if ! su postgres -c "psql -qAtc \"select 1 from pg_roles where rolname = '$me'\"" | grep -q 1; then
    su postgres -c "createuser --superuser '$me'"
  fi
  local socket_dir
  socket_dir=$(su postgres -c "psql -qAtc 'show unix_socket_directories'" | cut -d, -f1)
  export KOSCHEI_TEST_DATABASE_URL="postgresql://${me}@${socket_dir//\//%2F}/postgres"
}

start_rabbitmq() {
  if ! rabbitmqctl -q status >/dev/null 2>&1; then
    log "starting RabbitMQ"
    rabbitmq-server -detached >/dev/null 2>&1 || true
    rabbitmqctl -q await_startup --timeout 120 >/dev/null 2>&1 || sleep 10
  fi
  export KOSCHEI_TEST_AMQP_URL="${KOSCHEI_TEST_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2F}"
}

install_system_packages
log "installing npm dependencies and building the native solver addon"
npm ci --no-audit --no-fund

if [ "$mode" = demo ]; then
  npm run build --silent
  log "running the demo"
  exec ./bin/koschei demo
fi

start_postgresql
start_rabbitmq
log "running the test suite"
exec npm test
