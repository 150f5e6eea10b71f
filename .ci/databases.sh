# Installs (Debian packages) and starts PostgreSQL and MariaDB on 127.0.0.1
# with a superuser `refstack`/`refstack` that tests use to create throwaway
# databases. Sourced by .ci/run; safe to run again on a machine where they
# already run.

apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

start_postgres() {
  local ver
  ver=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  if ! pg_lsclusters -h 2>/dev/null | grep -q "^$ver main"; then
    as_root pg_createcluster "$ver" main >/dev/null
  fi
  as_root pg_ctlcluster "$ver" main start 2>/dev/null || true
  for _ in $(seq 1 60); do
    pg_isready -h 127.0.0.1 -p 5432 -q && break
    sleep 0.5
  done
  pg_isready -h 127.0.0.1 -p 5432
  as_root su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='refstack'\"" | grep -q 1 ||
    as_root su postgres -c "psql -qc \"CREATE ROLE refstack LOGIN SUPERUSER PASSWORD 'refstack'\""
}

# MariaDB sized for sustained uploads as refstack-server/README.md
# ("Production databases") recommends: Debian's stock 96 MiB redo log
# stalls commits at the load benchmark's upload rate (BENCHMARKS.md).
MARIADB_REDO=1G
MARIADB_POOL=512M

start_mariadb() {
  if ! mysqladmin ping -h 127.0.0.1 --silent 2>/dev/null; then
    as_root mkdir -p /run/mysqld
    as_root chown mysql:mysql /run/mysqld
    (as_root mysqld_safe --bind-address=127.0.0.1 --port=3306 \
      --innodb-log-file-size="$MARIADB_REDO" --innodb-buffer-pool-size="$MARIADB_POOL" \
      >/tmp/refstack-ci-mariadb.log 2>&1 &)
    for _ in $(seq 1 120); do
      mysqladmin ping -h 127.0.0.1 --silent 2>/dev/null && break
      sleep 0.5
    done
  fi
  mysqladmin ping -h 127.0.0.1 --silent
  # Already running (started elsewhere): resize the redo log online (the
  # buffer pool is left alone: resizing it online stalls for a while).
  if [ "$(as_root mysql -uroot -N -e 'SELECT @@innodb_log_file_size < 1024 * 1024 * 1024')" = 1 ]; then
    as_root mysql -uroot -e "SET GLOBAL innodb_log_file_size = 1024 * 1024 * 1024"
  fi
  as_root mysql -uroot -e "CREATE USER IF NOT EXISTS 'refstack'@'%' IDENTIFIED BY 'refstack';
    CREATE USER IF NOT EXISTS 'refstack'@'localhost' IDENTIFIED BY 'refstack';
    GRANT ALL PRIVILEGES ON *.* TO 'refstack'@'%' WITH GRANT OPTION;
    GRANT ALL PRIVILEGES ON *.* TO 'refstack'@'localhost' WITH GRANT OPTION;
    FLUSH PRIVILEGES;"
}

start_databases() {
  apt_install postgresql mariadb-server mariadb-client
  start_postgres
  start_mariadb
}
