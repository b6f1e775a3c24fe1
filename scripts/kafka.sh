#!/usr/bin/env bash
# scripts/kafka.sh — a real Apache Kafka 3.9.1 broker (single-node KRaft,
# broker+controller) on 127.0.0.1 for cerelay's tests and developers.
#
#   scripts/kafka.sh start      # download (once), format, start, wait until ready
#   scripts/kafka.sh status     # exit 0 and print listeners when running
#   scripts/kafka.sh env        # shell exports for tests: eval "$(scripts/kafka.sh env)"
#   scripts/kafka.sh stop       # SIGTERM, bounded wait, SIGKILL; no-op when stopped
#
# See docs/kafka-dev.md, or `scripts/kafka.sh --help`.
set -euo pipefail

KAFKA_VERSION=3.9.1

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
assets=$script_dir/kafka

: "${HOME:=$(getent passwd "$(id -u)" 2>/dev/null | cut -d: -f6)}"
: "${HOME:=/root}"

CACHE=${CER_KAFKA_CACHE:-$HOME/.cache/cerelay/kafka-$KAFKA_VERSION}
STATE=${CER_KAFKA_STATE:-/tmp/cerelay-kafka}
HOST=${CER_KAFKA_HOST:-127.0.0.1}
PORT=${CER_KAFKA_PORT:-9092}
CONTROLLER_PORT=${CER_KAFKA_CONTROLLER_PORT:-9093}
SSL_PORT=${CER_KAFKA_SSL_PORT:-9094}
SCRAM_PORT=${CER_KAFKA_SCRAM_PORT:-9095}
OAUTH_PORT=${CER_KAFKA_OAUTH_PORT:-9096}
PARTITIONS=${CER_KAFKA_PARTITIONS:-3}
HEAP=${CER_KAFKA_HEAP:-512m}
WAIT_SECS=${CER_KAFKA_WAIT:-90}
STOP_WAIT_SECS=${CER_KAFKA_STOP_WAIT:-30}
SCRAM_USER=${CER_KAFKA_SCRAM_USER:-cerelay}
SCRAM_PASSWORD=${CER_KAFKA_SCRAM_PASSWORD:-cerelay-secret}
OAUTH_PRINCIPAL=${CER_KAFKA_OAUTH_PRINCIPAL:-cerelay}
EXTRA_PROPERTIES=${CER_KAFKA_EXTRA_PROPERTIES:-}
JAVA_OPTS_EXTRA=${CER_KAFKA_JAVA_OPTS:-}
CDS=${CER_KAFKA_CDS:-1}
KEYSTORE_PASSWORD=cerelay-keystore
# Short-lived tool JVMs (StorageTool, BrokerApiVersionsCommand): start fast.
TOOL_JVM=(-Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto)

LIB=$CACHE/lib
CONF=$STATE/config
DATA=$STATE/data
LOGS=$STATE/logs
TLS=$STATE/tls
PIDFILE=$STATE/kafka.pid
ENVFILE=$STATE/env.sh
SERVER_PROPS=$CONF/server.properties

log() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() { printf 'kafka.sh: error: %s\n' "$*" >&2; exit 1; }

usage() {
	cat <<EOF
usage: scripts/kafka.sh start|stop|restart|status|env|logs|selftest|--help
       scripts/kafka.sh cluster-start|cluster-stop|cluster-status|cluster-env
       scripts/kafka.sh cluster-stop-broker N|cluster-start-broker N

Runs Apache Kafka $KAFKA_VERSION (single KRaft node, broker+controller) on $HOST
for tests. Jars come from Maven Central via mvn and are cached.

commands:
  start     download the jars once, format a fresh state dir, start the broker
            in the background and wait (<= CER_KAFKA_WAIT s) until every listener
            answers metadata requests. Prints the PLAINTEXT bootstrap address on
            stdout. Already running: prints the address, exits 0.
  stop      SIGTERM, wait <= CER_KAFKA_STOP_WAIT s, then SIGKILL. No-op if stopped.
  restart   stop, then start (with a fresh state dir: all topics are lost).
            CER_KAFKA_KEEP_DATA=1 makes start reuse the last run's data instead
            (the same broker back after a stop, as outage tests need).
  status    running: print the listeners (first line: the PLAINTEXT bootstrap
            address), exit 0. Not running: exit 1. Process up but PLAINTEXT port
            not accepting: exit 2.
  env       print shell exports (bootstrap addresses, CA path, SCRAM user, ...):
              eval "\$(scripts/kafka.sh env)"
  logs      print the tail of the broker log (\$CER_KAFKA_STATE/logs/server.log).
  selftest  start (if needed), then produce+consume on every listener
            (scripts/kafka/selftest.py with a python3 that has confluent_kafka).

cluster mode (three KRaft nodes, each broker+controller, replication factor 3,
min.insync.replicas 2, PLAINTEXT only, state in CER_KAFKA_CLUSTER_STATE,
default /tmp/cerelay-kafka-cluster):
  cluster-start          format and start all three, wait until all registered;
                         prints the bootstrap list 127.0.0.1:19092,19093,19094
  cluster-stop           stop all three (data is wiped by the next cluster-start)
  cluster-stop-broker N  stop node N (1..3) only (SIGTERM: controlled shutdown)
  cluster-start-broker N start node N again on its data, wait until registered
  cluster-status         one line per node: port, pid, RSS
  cluster-env            exports: CER_KAFKA_CLUSTER_BOOTSTRAP, ...
  ports: CER_KAFKA_CLUSTER_PORT (19092: node N on 19091+N),
         CER_KAFKA_CLUSTER_CONTROLLER_PORT (19192); heap CER_KAFKA_CLUSTER_HEAP (384m)

listeners (defaults):
  PLAINTEXT                       $HOST:9092   CER_KAFKA_PORT
  controller (internal)           $HOST:9093   CER_KAFKA_CONTROLLER_PORT
  SSL (CA: STATE/tls/ca.pem)      $HOST:9094   CER_KAFKA_SSL_PORT
  SASL_PLAINTEXT SCRAM-SHA-512    $HOST:9095   CER_KAFKA_SCRAM_PORT
  SASL_PLAINTEXT OAUTHBEARER      $HOST:9096   CER_KAFKA_OAUTH_PORT

environment:
  CER_KAFKA_CACHE      jar cache      (default \$HOME/.cache/cerelay/kafka-$KAFKA_VERSION)
  CER_KAFKA_STATE      state/log dir  (default /tmp/cerelay-kafka)
  CER_KAFKA_HOST       listen address (default 127.0.0.1)
  CER_KAFKA_PARTITIONS num.partitions for auto-created topics (default 3)
  CER_KAFKA_HEAP       JVM -Xmx (default 512m)
  CER_KAFKA_WAIT       readiness timeout, seconds (default 90)
  CER_KAFKA_STOP_WAIT  SIGTERM grace period, seconds (default 30)
  CER_KAFKA_SCRAM_USER / CER_KAFKA_SCRAM_PASSWORD  (default cerelay / cerelay-secret)
  CER_KAFKA_OAUTH_PRINCIPAL  principal used by the selftest (default cerelay)
  CER_KAFKA_EXTRA_PROPERTIES extra server.properties lines (newline-separated)
  CER_KAFKA_JAVA_OPTS  extra JVM options
  CER_KAFKA_M2         Maven local repository (default \$CER_KAFKA_CACHE/m2)
  CER_KAFKA_PROBE      readiness probe: auto (default), python, kcat or java
  CER_KAFKA_CDS        1 (default): keep a JVM class-data-sharing archive of the
                       broker's classes in the cache (faster starts); 0: off
EOF
}

# ---------------------------------------------------------------- helpers ---

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

validate_settings() {
	local v
	for v in PORT CONTROLLER_PORT SSL_PORT SCRAM_PORT OAUTH_PORT PARTITIONS WAIT_SECS STOP_WAIT_SECS; do
		is_uint "${!v}" || die "CER_KAFKA_${v/_SECS/} must be a non-negative integer, got '${!v}'"
	done
	[[ $HEAP =~ ^[0-9]+[kKmMgG]?$ ]] || die "CER_KAFKA_HEAP must look like 512m, got '$HEAP'"
	case $STATE in /|'') die "refusing to use '$STATE' as CER_KAFKA_STATE" ;; esac
	# STATE ends up in server.properties and a sed expression: keep it plain.
	[[ $STATE =~ ^/[A-Za-z0-9._/+-]+$ ]] || die "CER_KAFKA_STATE must be an absolute path of [A-Za-z0-9._/+-], got '$STATE'"
	[[ $HOST =~ ^[A-Za-z0-9.-]+$ ]] || die "CER_KAFKA_HOST must be an IPv4 address or host name, got '$HOST'"
	case $CACHE in /|'') die "refusing to use '$CACHE' as CER_KAFKA_CACHE" ;; esac
}

# Java: $JAVA_HOME/bin/java, else java on PATH.
java_bin() {
	if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then
		printf '%s\n' "$JAVA_HOME/bin/java"
	else
		command -v java || true
	fi
}

java_major() {
	# "openjdk version "17.0.15" ..." -> 17 ; "1.8.0_392" -> 8
	local v
	v=$("$1" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)
	v=${v#1.}
	printf '%s\n' "${v%%[.+-]*}"
}

apt_install() {
	# Debian/Ubuntu only; we must be root (or have passwordless sudo).
	local sudo=()
	if [[ $(id -u) != 0 ]]; then
		# shellcheck disable=SC2015 # die if either test fails
		command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null || die "need $* but not root; install them: apt-get install -y $*"
		sudo=(sudo -n)
	fi
	command -v apt-get >/dev/null 2>&1 || die "need $* and apt-get is not available; install them by hand"
	log "installing $* (apt-get)"
	export DEBIAN_FRONTEND=noninteractive
	if ! "${sudo[@]}" apt-get install -y -q --no-install-recommends "$@" </dev/null >&2; then
		log "apt-get install failed; running apt-get update and retrying"
		"${sudo[@]}" apt-get update -q </dev/null >&2 || true
		"${sudo[@]}" apt-get install -y -q --no-install-recommends "$@" </dev/null >&2 ||
			die "apt-get install $* failed"
	fi
	hash -r
}

JAVA=
ensure_java() {
	JAVA=$(java_bin)
	local m=0
	[[ -n $JAVA ]] && m=$(java_major "$JAVA" 2>/dev/null) && is_uint "$m" || m=0
	if ((m < 11)); then
		apt_install default-jdk-headless
		JAVA=$(command -v java || true)
		[[ -x /usr/lib/jvm/default-java/bin/java ]] && JAVA=/usr/lib/jvm/default-java/bin/java
		[[ -n $JAVA ]] || die "java still not found after installing default-jdk-headless"
	fi
	m=$(java_major "$JAVA")
	# shellcheck disable=SC2015 # die if either test fails
	is_uint "$m" && ((m >= 11)) || die "Kafka $KAFKA_VERSION needs Java >= 11; $JAVA is Java $m"
	local d
	d=$(dirname "$(readlink -f "$JAVA")")
	KEYTOOL=$d/keytool
	[[ -x $KEYTOOL ]] || KEYTOOL=$(command -v keytool || true)
	[[ -n $KEYTOOL ]] || die "keytool not found next to $JAVA"
}

ensure_tools() {
	local need=()
	command -v openssl >/dev/null 2>&1 || need+=(openssl)
	command -v setsid >/dev/null 2>&1 || need+=(util-linux)
	command -v flock >/dev/null 2>&1 || need+=(util-linux)
	if ((${#need[@]})); then
		# shellcheck disable=SC2046
		apt_install $(printf '%s\n' "${need[@]}" | sort -u)
	fi
}

# Is something accepting TCP connections on HOST:$1?
port_open() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$HOST" "$1" 2>/dev/null
}

# Is $1 the pid of *our* broker (kafka.Kafka with our server.properties)?
is_our_broker() {
	local pid=$1 comm cmd
	is_uint "$pid" || return 1
	# comm is "java" (read with a builtin: cheap when scanning /proc).
	read -r comm 2>/dev/null <"/proc/$pid/comm" || return 1
	[[ $comm == java ]] || return 1
	cmd=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
	grep -qx 'kafka.Kafka' <<<"$cmd" && grep -qxF "$SERVER_PROPS" <<<"$cmd"
}

# Prints the broker pid and returns 0 when our broker is running.
broker_pid() {
	local pid d
	if [[ -f $PIDFILE ]]; then
		pid=$(<"$PIDFILE") || pid=
		if is_our_broker "$pid"; then
			printf '%s\n' "$pid"
			return 0
		fi
	fi
	# Pid file lost or stale: look for a broker started on this state dir.
	for d in /proc/[0-9]*; do
		pid=${d#/proc/}
		if is_our_broker "$pid"; then
			printf '%s\n' "$pid"
			return 0
		fi
	done
	return 1
}

# Serialize start/stop on one state dir (and downloads on one cache dir).
lock_state() {
	mkdir -p "$STATE"
	exec 8>"$STATE/.lock"
	flock -w $((WAIT_SECS + STOP_WAIT_SECS + 600)) 8 || die "timed out waiting for the lock $STATE/.lock"
}

# ------------------------------------------------------------- download -----

pom_hash() { sha256sum "$assets/pom.xml" | cut -d' ' -f1; }

jars_present() {
	[[ -f $LIB/.cerelay-complete && $(<"$LIB/.cerelay-complete") == "$(pom_hash)" ]] &&
		compgen -G "$LIB/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null
}

fetch_jars() {
	mkdir -p "$CACHE"
	exec 7>"$CACHE/.lock"
	flock -w 900 7 || die "timed out waiting for the lock $CACHE/.lock"
	if jars_present; then
		exec 7>&-
		return 0
	fi
	if ! command -v mvn >/dev/null 2>&1; then
		apt_install maven
	fi
	local m2=${CER_KAFKA_M2:-$CACHE/m2} build=$CACHE/build t0=$SECONDS
	log "fetching Apache Kafka $KAFKA_VERSION from Maven Central into $LIB (mvn log: $CACHE/mvn.log)"
	rm -rf "$build" "$LIB.tmp"
	mkdir -p "$build"
	cp "$assets/pom.xml" "$build/pom.xml"
	if ! (cd "$build" && mvn -B -ntp -Dmaven.repo.local="$m2" \
		dependency:copy-dependencies -DincludeScope=runtime \
		-DoutputDirectory="$LIB.tmp" </dev/null >"$CACHE/mvn.log" 2>&1); then
		tail -n 40 "$CACHE/mvn.log" >&2 || true
		rm -rf "$LIB.tmp"
		die "mvn dependency:copy-dependencies failed (full log: $CACHE/mvn.log)"
	fi
	[[ -f $LIB.tmp/kafka_2.13-$KAFKA_VERSION.jar ]] || die "mvn succeeded but kafka_2.13-$KAFKA_VERSION.jar is missing from $LIB.tmp"
	pom_hash >"$LIB.tmp/.cerelay-complete"
	rm -rf "$LIB" "$build"
	mv "$LIB.tmp" "$LIB"
	log "downloaded $(find "$LIB" -name '*.jar' | wc -l) jars in $((SECONDS - t0)) s"
	exec 7>&-
}

# ------------------------------------------------- class-data sharing -----
# The first broker run records the classes it loads in a dynamic CDS archive
# (-XX:ArchiveClassesAtExit, written when the JVM exits after `stop`). Later
# JVMs map it (-XX:SharedArchiveFile): starts are ~3 s faster and the storage
# tool twice as fast. A truncated archive crashes the JVM, so an archive is
# used only after `java -Xshare:on -version` accepted it.

CDS_USE=()
CDS_DUMP=()
CDS_PENDING=$STATE/cds-pending

cds_key() {
	local real jvm
	real=$(readlink -f "$JAVA")
	jvm=$(find "$(dirname "$real")/.." -name libjvm.so -path '*server*' 2>/dev/null | head -n1)
	{ printf '%s\n' "$real"; [[ -n $jvm ]] && stat -Lc '%s %Y' "$jvm"; pom_hash; } | sha256sum | cut -c1-16
}

# $1 java, $2 archive: does this JVM map the archive with our classpath?
cds_valid() {
	(cd "$STATE" && "$1" -XX:SharedArchiveFile="$2" -Xshare:on -Xlog:'cds*=off' \
		-XX:ErrorFile=/dev/null -cp "$LIB/*" -version) >/dev/null 2>&1
}

cds_prepare() {
	CDS_USE=()
	CDS_DUMP=()
	cds_promote discard # a leftover from a broker that was not stopped cleanly
	[[ $CDS == 1 ]] || return 0
	case " $JAVA_OPTS_EXTRA " in *SharedArchiveFile* | *ArchiveClassesAtExit* | *Xshare*) return 0 ;; esac
	local archive
	archive=$CACHE/cds/kafka-$(cds_key).jsa
	if [[ -s $archive && -f $archive.ok && $(stat -c %s "$archive") == "$(<"$archive.ok")" ]] &&
		cds_valid "$JAVA" "$archive"; then
		CDS_USE=(-XX:SharedArchiveFile="$archive" -Xlog:'cds*=off')
		return 0
	fi
	rm -f "$archive" "$archive.ok"
	mkdir -p "$CACHE/cds"
	find "$CACHE/cds" -name '*.tmp.*' -mmin +60 -delete 2>/dev/null || true
	local tmp=$archive.tmp.$$
	CDS_DUMP=(-XX:ArchiveClassesAtExit="$tmp" -Xlog:'cds*=off')
	printf '%s\n%s\n%s\n%s\n' "$tmp" "$archive" "$JAVA" "$LIB" >"$CDS_PENDING"
}

# After a clean stop: validate the archive the broker wrote and publish it.
cds_promote() {
	[[ -f $CDS_PENDING ]] || return 0
	local tmp archive java lib
	{ read -r tmp; read -r archive; read -r java; read -r lib; } <"$CDS_PENDING" || true
	rm -f "$CDS_PENDING"
	[[ -n $tmp && -n $archive ]] || return 0
	if [[ ${1:-} == clean && -s $tmp ]] && LIB=$lib cds_valid "$java" "$tmp"; then
		mkdir -p "$CACHE"
		(
			flock -w 60 7 || exit 0
			if [[ -s $archive && -f $archive.ok ]]; then
				rm -f "$tmp"
			else
				mv -f "$tmp" "$archive" && stat -c %s "$archive" >"$archive.ok"
			fi
		) 7>"$CACHE/.lock"
	fi
	rm -f "$tmp"
}

# ---------------------------------------------------------------- start -----

# Self-signed CA + server certificate (SAN IP:$HOST) + a client certificate,
# all ECDSA P-256 (fast to generate, supported by every TLS stack we use).
gen_tls() {
	mkdir -p "$TLS"
	local pw=$KEYSTORE_PASSWORD san="IP:$HOST"
	[[ $HOST == 127.0.0.1 ]] && san="IP:127.0.0.1,DNS:localhost"
	[[ $HOST =~ ^[0-9.]+$ ]] || san="DNS:$HOST"
	(
		cd "$TLS"
		umask 022
		local ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256)
		openssl req -x509 "${ec[@]}" -days 825 -subj "/CN=cerelay test CA" \
			-keyout ca.key -out ca.pem \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign"
		printf '%s\n' "subjectAltName=$san" "basicConstraints=CA:FALSE" \
			"keyUsage=critical,digitalSignature,keyAgreement" \
			"extendedKeyUsage=serverAuth" >server.ext
		openssl req "${ec[@]}" -subj "/CN=$HOST" -keyout server.key -out server.csr
		openssl x509 -req -sha256 -days 825 -in server.csr -CA ca.pem -CAkey ca.key \
			-set_serial "0x$(openssl rand -hex 8)" -extfile server.ext -out server.pem
		# A client certificate for mTLS tests: the SSL listener requests, but
		# does not require, one (ssl.client.auth=requested).
		printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
			"extendedKeyUsage=clientAuth" >client.ext
		openssl req "${ec[@]}" -subj "/CN=cerelay-client" -keyout client.key -out client.csr
		openssl x509 -req -sha256 -days 825 -in client.csr -CA ca.pem -CAkey ca.key \
			-set_serial "0x$(openssl rand -hex 8)" -extfile client.ext -out client.pem
		openssl pkcs12 -export -name kafka -in server.pem -inkey server.key -certfile ca.pem \
			-passout "pass:$pw" -out server-openssl.p12
		# Re-encode with keytool: the broker then reads a keystore the JVM wrote
		# itself (and a broken one fails here, with a clear log, not in Kafka).
		"$KEYTOOL" -J-XX:TieredStopAtLevel=1 -J-Xshare:auto -importkeystore -noprompt \
			-srckeystore server-openssl.p12 -srcstoretype PKCS12 -srcstorepass "$pw" \
			-destkeystore server.p12 -deststoretype PKCS12 -deststorepass "$pw" -destkeypass "$pw"
		rm -f server.csr client.csr server.ext client.ext server-openssl.p12 ./*.srl
		chmod 600 ca.key server.key server.p12
		# Test material: world-readable so tests running as another user can use it.
		chmod 644 ca.pem server.pem client.pem client.key
	) >"$LOGS/tls.log" 2>&1 || {
		cat "$LOGS/tls.log" >&2
		die "generating the TLS certificates failed"
	}
}

render_config() {
	mkdir -p "$CONF"
	local sedexpr=(
		-e "s|@HOST@|$HOST|g" -e "s|@PORT@|$PORT|g"
		-e "s|@CONTROLLER_PORT@|$CONTROLLER_PORT|g" -e "s|@SSL_PORT@|$SSL_PORT|g"
		-e "s|@SCRAM_PORT@|$SCRAM_PORT|g" -e "s|@OAUTH_PORT@|$OAUTH_PORT|g"
		-e "s|@DATA_DIR@|$DATA|g" -e "s|@TLS_DIR@|$TLS|g"
		-e "s|@KEYSTORE_PASSWORD@|$KEYSTORE_PASSWORD|g" -e "s|@PARTITIONS@|$PARTITIONS|g"
	)
	sed "${sedexpr[@]}" "$assets/server.properties.in" >"$SERVER_PROPS.tmp"
	if [[ -n $EXTRA_PROPERTIES ]]; then
		printf '\n# CER_KAFKA_EXTRA_PROPERTIES\n%s\n' "$EXTRA_PROPERTIES" >>"$SERVER_PROPS.tmp"
	fi
	! grep -v '^#' "$SERVER_PROPS.tmp" | grep -qE '@[A-Z_]+@' || die "unsubstituted placeholder in $SERVER_PROPS.tmp"
	mv "$SERVER_PROPS.tmp" "$SERVER_PROPS"
	cp "$assets/log4j.properties" "$CONF/log4j.properties"
	cp "$assets/tools-log4j.properties" "$CONF/tools-log4j.properties"
}

# Kafka Uuid: 16 random bytes, base64url without padding, not starting with '-'.
random_cluster_id() {
	local id
	while :; do
		id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
		[[ $id == -* || ${#id} != 22 ]] || { printf '%s\n' "$id"; return; }
	done
}

format_storage() {
	local cid
	cid=$(random_cluster_id)
	printf '%s\n' "$cid" >"$STATE/cluster-id"
	if ! "$JAVA" "${TOOL_JVM[@]}" "${CDS_USE[@]}" -Dlog4j.configuration="file:$CONF/tools-log4j.properties" \
		-cp "$LIB/*" kafka.tools.StorageTool format \
		--config "$SERVER_PROPS" --cluster-id "$cid" \
		--add-scram "SCRAM-SHA-512=[name=$SCRAM_USER,password=$SCRAM_PASSWORD]" \
		--add-scram "SCRAM-SHA-256=[name=$SCRAM_USER,password=$SCRAM_PASSWORD]" \
		</dev/null >"$LOGS/format.log" 2>&1; then
		cat "$LOGS/format.log" >&2
		die "kafka.tools.StorageTool format failed"
	fi
}

write_env() {
	cat >"$ENVFILE.tmp" <<EOF
export CER_KAFKA_BOOTSTRAP=$HOST:$PORT
export CER_KAFKA_SSL_BOOTSTRAP=$HOST:$SSL_PORT
export CER_KAFKA_SCRAM_BOOTSTRAP=$HOST:$SCRAM_PORT
export CER_KAFKA_OAUTH_BOOTSTRAP=$HOST:$OAUTH_PORT
export CER_KAFKA_CA=$TLS/ca.pem
export CER_KAFKA_CLIENT_CERT=$TLS/client.pem
export CER_KAFKA_CLIENT_KEY=$TLS/client.key
export CER_KAFKA_SCRAM_MECHANISM=SCRAM-SHA-512
export CER_KAFKA_SCRAM_USER=$(printf %q "$SCRAM_USER")
export CER_KAFKA_SCRAM_PASSWORD=$(printf %q "$SCRAM_PASSWORD")
export CER_KAFKA_OAUTH_PRINCIPAL=$(printf %q "$OAUTH_PRINCIPAL")
export CER_KAFKA_PARTITIONS=$PARTITIONS
export CER_KAFKA_STATE=$(printf %q "$STATE")
export CER_KAFKA_LOG=$(printf %q "$LOGS/server.log")
EOF
	mv "$ENVFILE.tmp" "$ENVFILE"
}

# A python3 that can import confluent_kafka (Debian's python3-confluent-kafka
# lives in /usr/bin/python3; python3 on PATH may be another interpreter).
find_python() {
	local p
	for p in /usr/bin/python3 "$(command -v python3 || true)"; do
		[[ -n $p && -x $p ]] || continue
		if "$p" -c 'import confluent_kafka' >/dev/null 2>&1; then
			printf '%s\n' "$p"
			return 0
		fi
	done
	return 1
}

PROBE=
PY=
choose_probe() {
	case ${CER_KAFKA_PROBE:-auto} in
	python) PY=$(find_python) || die "CER_KAFKA_PROBE=python but no python3 with confluent_kafka"; PROBE=python; return ;;
	kcat) command -v kcat >/dev/null 2>&1 || die "CER_KAFKA_PROBE=kcat but kcat is not installed"; PROBE=kcat; return ;;
	java) PROBE=java; return ;;
	auto) ;;
	*) die "CER_KAFKA_PROBE must be auto, python, kcat or java" ;;
	esac
	if PY=$(find_python); then
		PROBE=python
	elif command -v kcat >/dev/null 2>&1; then
		PROBE=kcat
	else
		PROBE=java
	fi
}

# One readiness probe: does the broker answer metadata requests (with itself
# listed as a broker)? The python probe checks all four client listeners.
probe_once() {
	local p
	for p in "$PORT" "$SSL_PORT" "$SCRAM_PORT" "$OAUTH_PORT"; do
		port_open "$p" || return 1
	done
	case $PROBE in
	python)
		"$PY" -B "$assets/probe.py" "$ENVFILE" >"$LOGS/probe.log" 2>&1
		;;
	kcat)
		timeout 10 kcat -b "$HOST:$PORT" -L -m 5 >"$LOGS/probe.log" 2>&1 &&
			grep -q 'broker 1 at' "$LOGS/probe.log"
		;;
	java)
		timeout 30 "$JAVA" "${TOOL_JVM[@]}" "${CDS_USE[@]}" -Dlog4j.configuration="file:$CONF/tools-log4j.properties" \
			-cp "$LIB/*" kafka.admin.BrokerApiVersionsCommand \
			--bootstrap-server "$HOST:$PORT" >"$LOGS/probe.log" 2>&1 </dev/null &&
			grep -q "$HOST:$PORT (id: 1" "$LOGS/probe.log"
		;;
	esac
}

broker_log_tail() {
	local f=$LOGS/server.log
	if [[ -s $f ]] && grep -qE '^\[[^]]*\] (ERROR|FATAL) ' "$f"; then
		printf -- '----- first errors in %s -----\n' "$f" >&2
		grep -m 3 -A 8 -E '^\[[^]]*\] (ERROR|FATAL) ' "$f" | head -n 40 | cut -c1-400 >&2
	fi
	for f in "$LOGS/kafka.out" "$LOGS/server.log" "$LOGS/probe.log"; do
		[[ -s $f ]] || continue
		printf -- '----- tail of %s -----\n' "$f" >&2
		tail -n "${1:-40}" "$f" >&2
	done
}

print_listeners() {
	cat <<EOF
$HOST:$PORT
PLAINTEXT                     $HOST:$PORT
SSL                           $HOST:$SSL_PORT  ssl.ca.location=$TLS/ca.pem
SASL_PLAINTEXT SCRAM-SHA-512  $HOST:$SCRAM_PORT  user=$SCRAM_USER password=$SCRAM_PASSWORD
SASL_PLAINTEXT OAUTHBEARER    $HOST:$OAUTH_PORT  unsecured JWT (any sub)
EOF
}

# Load the settings the running broker was started with (ports may differ
# from this shell's environment).
load_running_env() {
	[[ -f $ENVFILE ]] || return 0
	local line k v
	while IFS= read -r line; do
		[[ $line == 'export CER_KAFKA_'*=* ]] || continue
		line=${line#export }
		k=${line%%=*}
		v=$(eval "printf '%s' ${line#*=}")
		case $k in
		CER_KAFKA_BOOTSTRAP) HOST=${v%:*}; PORT=${v##*:} ;;
		CER_KAFKA_SSL_BOOTSTRAP) SSL_PORT=${v##*:} ;;
		CER_KAFKA_SCRAM_BOOTSTRAP) SCRAM_PORT=${v##*:} ;;
		CER_KAFKA_OAUTH_BOOTSTRAP) OAUTH_PORT=${v##*:} ;;
		CER_KAFKA_SCRAM_USER) SCRAM_USER=$v ;;
		CER_KAFKA_SCRAM_PASSWORD) SCRAM_PASSWORD=$v ;;
		CER_KAFKA_OAUTH_PRINCIPAL) OAUTH_PRINCIPAL=$v ;;
		CER_KAFKA_PARTITIONS) PARTITIONS=$v ;;
		esac
	done <"$ENVFILE"
}

cmd_start() {
	validate_settings
	ensure_tools
	lock_state
	local pid
	if pid=$(broker_pid); then
		load_running_env
		log "already running (pid $pid)"
		printf '%s:%s\n' "$HOST" "$PORT"
		return 0
	fi
	local t0=$SECONDS
	ensure_java
	fetch_jars

	local p
	for p in "$PORT" "$CONTROLLER_PORT" "$SSL_PORT" "$SCRAM_PORT" "$OAUTH_PORT"; do
		if port_open "$p"; then
			die "port $HOST:$p is already in use by another process (not a broker started on $STATE); stop it or set CER_KAFKA_*PORT"
		fi
	done

	if [[ ${CER_KAFKA_KEEP_DATA:-0} == 1 && -s $SERVER_PROPS && -d $DATA ]]; then
		# The same broker again, with its topics (outage tests stop and restart it).
		log "keeping the previous run's data and certificates (CER_KAFKA_KEEP_DATA=1)"
		rm -f "$PIDFILE"
		mkdir -p "$LOGS"
		cds_prepare
		write_env
	else
		# Fresh state on every start: no cluster-id mismatches, no stale data.
		rm -rf "$CONF" "$DATA" "$TLS" "$PIDFILE" "$ENVFILE" "$STATE/cluster-id"
		[[ -d $LOGS ]] && { rm -rf "$LOGS.prev"; mv "$LOGS" "$LOGS.prev"; }
		mkdir -p "$CONF" "$DATA" "$LOGS" "$TLS"

		cds_prepare
		render_config
		gen_tls
		format_storage
		write_env
	fi

	local heap_min=128m
	local jvm=(-Xmx"$HEAP" -Xms"$heap_min" -XX:+UseG1GC -XX:MaxGCPauseMillis=20
		-XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent
		-XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true
		-Dkafka.logs.dir="$LOGS" -Dlog4j.configuration="file:$CONF/log4j.properties")
	jvm+=("${CDS_USE[@]}" "${CDS_DUMP[@]}")
	# shellcheck disable=SC2206
	[[ -n $JAVA_OPTS_EXTRA ]] && jvm+=($JAVA_OPTS_EXTRA)

	# New session (setsid) so the broker survives the caller's process group
	# and terminal; the inner shell records its own pid, then execs java.
	# shellcheck disable=SC2016 # expanded by the inner bash
	setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PIDFILE" \
		"$JAVA" "${jvm[@]}" -cp "$LIB/*" kafka.Kafka "$SERVER_PROPS" \
		</dev/null >"$LOGS/kafka.out" 2>&1 7>&- 8>&- &
	# Wait for the inner shell to write the pid file and exec java.
	local i
	pid=
	for ((i = 0; i < 100; i++)); do
		if [[ -s $PIDFILE ]]; then
			pid=$(<"$PIDFILE")
			is_our_broker "$pid" && break
		fi
		sleep 0.05
	done
	if ! is_our_broker "$pid"; then
		broker_log_tail 60
		die "could not start java (see $LOGS/kafka.out)"
	fi

	choose_probe
	log "started broker pid $pid; waiting up to ${WAIT_SECS}s for it to answer metadata requests (probe: $PROBE)"
	local deadline=$((SECONDS + WAIT_SECS))
	while :; do
		if ! is_our_broker "$pid"; then  # exited (a zombie counts as exited)
			broker_log_tail 60
			die "broker exited during startup (logs in $LOGS)"
		fi
		if probe_once; then
			break
		fi
		if ((SECONDS >= deadline)); then
			broker_log_tail 60
			log "broker not ready after ${WAIT_SECS}s; stopping it"
			stop_pid "$pid" >/dev/null 2>&1 || true
			die "Kafka did not become ready within ${WAIT_SECS}s (logs in $LOGS)"
		fi
		sleep 0.5
	done
	log "ready in $((SECONDS - t0)) s:"
	print_listeners | tail -n +2 | sed 's/^/  /' >&2
	log "exports: eval \"\$($0 env)\"; stop: $0 stop"
	printf '%s:%s\n' "$HOST" "$PORT"
}

STOP_KILLED=0
stop_pid() {
	local pid=$1 i
	STOP_KILLED=0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < STOP_WAIT_SECS * 10; i++)); do
		is_our_broker "$pid" || return 0
		sleep 0.1
	done
	log "broker pid $pid still alive after ${STOP_WAIT_SECS}s; sending SIGKILL"
	STOP_KILLED=1
	kill -KILL "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		is_our_broker "$pid" || return 0
		sleep 0.1
	done
	die "could not kill broker pid $pid"
}

cmd_stop() {
	validate_settings
	[[ -d $STATE ]] || { log "not running"; return 0; }
	command -v flock >/dev/null 2>&1 && lock_state
	local pid
	if ! pid=$(broker_pid); then
		rm -f "$PIDFILE"
		log "not running"
		return 0
	fi
	log "stopping broker pid $pid"
	stop_pid "$pid"
	rm -f "$PIDFILE"
	if ((STOP_KILLED)); then cds_promote killed; else cds_promote clean; fi
	log "stopped"
}

cmd_status() {
	local pid
	if ! pid=$(broker_pid); then
		log "not running (state dir: $STATE)"
		return 1
	fi
	load_running_env
	if ! port_open "$PORT"; then
		log "broker pid $pid is running but $HOST:$PORT does not accept connections (starting or stopping?)"
		return 2
	fi
	# One write, so `kafka.sh status | head -n1` never hits SIGPIPE.
	local out
	out=$(print_listeners)
	printf '%s\npid %s, state %s, log %s\n' "$out" "$pid" "$STATE" "$LOGS/server.log"
}

cmd_env() {
	if broker_pid >/dev/null && [[ -f $ENVFILE ]]; then
		cat "$ENVFILE"
	else
		# Not running: what `start` would use with the current environment.
		log "not running; these are the settings 'start' would use"
		local tmp=$ENVFILE
		ENVFILE=$(mktemp)
		write_env
		cat "$ENVFILE"
		rm -f "$ENVFILE"
		ENVFILE=$tmp
	fi
}

cmd_logs() {
	[[ -f $LOGS/server.log ]] || die "no broker log at $LOGS/server.log"
	tail -n "${1:-100}" "$LOGS/server.log"
}

cmd_selftest() {
	cmd_start >/dev/null
	local py
	py=$(find_python) || die "selftest needs python3 with confluent_kafka (Debian: apt-get install -y python3-confluent-kafka)"
	CER_KAFKA_STATE=$STATE "$py" -B "$assets/selftest.py"
}

# --------------------------------------------------------------- cluster -----
# Three KRaft nodes, each broker+controller (combined: three JVMs, not six, which is what fits
# a 2-core machine), PLAINTEXT only, replication factor 3, min.insync.replicas 2. Own state dir
# and ports, so it runs next to the single broker.

C_STATE=${CER_KAFKA_CLUSTER_STATE:-/tmp/cerelay-kafka-cluster}
C_BASE_PORT=${CER_KAFKA_CLUSTER_PORT:-19092}           # node N: PLAINTEXT C_BASE_PORT+N-1
C_CTRL_BASE=${CER_KAFKA_CLUSTER_CONTROLLER_PORT:-19192} # node N: controller C_CTRL_BASE+N-1
C_HEAP=${CER_KAFKA_CLUSTER_HEAP:-384m}
C_PARTITIONS=${CER_KAFKA_CLUSTER_PARTITIONS:-3}
C_NODES=3

c_port() { printf '%s\n' $((C_BASE_PORT + $1 - 1)); }
c_ctrl() { printf '%s\n' $((C_CTRL_BASE + $1 - 1)); }
c_bootstrap() {
	local n out=
	for ((n = 1; n <= C_NODES; n++)); do out+=${out:+,}$HOST:$(c_port "$n"); done
	printf '%s\n' "$out"
}
c_props() { printf '%s\n' "$C_STATE/node$1/config/server.properties"; }
c_pidfile() { printf '%s\n' "$C_STATE/node$1/kafka.pid"; }

c_validate() {
	local v
	for v in C_BASE_PORT C_CTRL_BASE C_PARTITIONS; do
		is_uint "${!v}" || die "cluster setting $v must be a non-negative integer, got '${!v}'"
	done
	((C_BASE_PORT + C_NODES <= 32768 && C_CTRL_BASE + C_NODES <= 32768)) || die "cluster ports must stay below 32768"
	[[ $C_HEAP =~ ^[0-9]+[kKmMgG]?$ ]] || die "CER_KAFKA_CLUSTER_HEAP must look like 384m, got '$C_HEAP'"
	[[ $C_STATE =~ ^/[A-Za-z0-9._/+-]+$ && $C_STATE != / ]] || die "CER_KAFKA_CLUSTER_STATE must be an absolute path of [A-Za-z0-9._/+-], got '$C_STATE'"
	[[ $HOST =~ ^[A-Za-z0-9.-]+$ ]] || die "CER_KAFKA_HOST must be an IPv4 address or host name, got '$HOST'"
}

c_node_pid() {
	local n=$1 pid SERVER_PROPS
	SERVER_PROPS=$(c_props "$n")
	if [[ -f $(c_pidfile "$n") ]]; then
		pid=$(<"$(c_pidfile "$n")") || pid=
		if is_our_broker "$pid"; then
			printf '%s\n' "$pid"
			return 0
		fi
	fi
	return 1
}

c_render() {
	local n=$1 voters= i dir=$C_STATE/node$1
	for ((i = 1; i <= C_NODES; i++)); do voters+=${voters:+,}$i@$HOST:$(c_ctrl "$i"); done
	mkdir -p "$dir/config" "$dir/data" "$dir/logs"
	cat >"$dir/config/server.properties" <<EOF
# Node $n of the cerelay three-node test cluster (rendered by scripts/kafka.sh cluster-start).
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$voters
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://$HOST:$(c_port "$n"),CONTROLLER://$HOST:$(c_ctrl "$n")
advertised.listeners=PLAINTEXT://$HOST:$(c_port "$n")
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
metadata.log.dir=$dir/data
auto.create.topics.enable=true
num.partitions=$C_PARTITIONS
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
transaction.state.log.num.partitions=10
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
num.replica.fetchers=1
num.recovery.threads.per.data.dir=1
log.retention.hours=24
log.segment.bytes=104857600
log.retention.check.interval.ms=300000
delete.topic.enable=true
unclean.leader.election.enable=false
replica.lag.time.max.ms=10000
controlled.shutdown.enable=true
EOF
	cp "$assets/log4j.properties" "$dir/config/log4j.properties"
	cp "$assets/tools-log4j.properties" "$dir/config/tools-log4j.properties"
}

c_launch() {
	local n=$1 dir=$C_STATE/node$1 pid i
	local jvm=(-Xmx"$C_HEAP" -Xms64m -Xss512k -XX:+UseG1GC -XX:MaxGCPauseMillis=20
		-XX:MaxMetaspaceSize=128m -XX:ReservedCodeCacheSize=64m -XX:TieredStopAtLevel=1
		-XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true
		-Dkafka.logs.dir="$dir/logs" -Dlog4j.configuration="file:$dir/config/log4j.properties")
	# shellcheck disable=SC2206
	[[ -n $JAVA_OPTS_EXTRA ]] && jvm+=($JAVA_OPTS_EXTRA)
	rm -f "$(c_pidfile "$n")"
	# shellcheck disable=SC2016 # expanded by the inner bash
	setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$(c_pidfile "$n")" \
		"$JAVA" "${jvm[@]}" -cp "$LIB/*" kafka.Kafka "$(c_props "$n")" \
		</dev/null >"$dir/logs/kafka.out" 2>&1 7>&- 8>&- &
	for ((i = 0; i < 100; i++)); do
		c_node_pid "$n" >/dev/null && return 0
		sleep 0.05
	done
	tail -n 40 "$dir/logs/kafka.out" >&2 || true
	die "node $n: could not start java (see $dir/logs)"
}

# Does the cluster answer metadata with every node in $1 (space-separated ids) registered?
c_probe() {
	local want=$1 bs=${2:-$(c_bootstrap)} py
	py=$(find_python) || die "cluster mode needs python3 with confluent_kafka (apt-get install -y python3-confluent-kafka)"
	"$py" -B - "$bs" "$want" >>"$C_STATE/probe.log" 2>&1 <<'PY'
import sys
from confluent_kafka.admin import AdminClient
bs, want = sys.argv[1], {int(x) for x in sys.argv[2].split()}
md = AdminClient({"bootstrap.servers": bs, "socket.timeout.ms": 3000, "log_level": 0}).list_topics(timeout=4)
have = set(md.brokers)
print("brokers", sorted(have))
sys.exit(0 if want <= have else 1)
PY
}

c_wait() {
	local want=$1 bs=${2:-} deadline=$((SECONDS + WAIT_SECS)) n
	while ! c_probe "$want" $bs; do
		for n in $want; do
			c_node_pid "$n" >/dev/null || {
				tail -n 40 "$C_STATE/node$n/logs/server.log" >&2 2>/dev/null || true
				die "node $n exited during startup (logs in $C_STATE/node$n/logs)"
			}
		done
		((SECONDS < deadline)) || die "cluster nodes $want not ready within ${WAIT_SECS}s (logs in $C_STATE/node*/logs)"
		sleep 0.5
	done
}

c_lock() {
	mkdir -p "$C_STATE"
	exec 8>"$C_STATE/.lock"
	flock -w $((WAIT_SECS + STOP_WAIT_SECS + 600)) 8 || die "timed out waiting for the lock $C_STATE/.lock"
}

c_write_env() {
	cat >"$C_STATE/env.sh" <<EOF
export CER_KAFKA_CLUSTER_BOOTSTRAP=$(c_bootstrap)
export CER_KAFKA_CLUSTER_STATE=$(printf %q "$C_STATE")
export CER_KAFKA_CLUSTER_NODES=$C_NODES
EOF
}

cmd_cluster_start() {
	validate_settings
	c_validate
	ensure_tools
	c_lock
	local n running=0 t0=$SECONDS
	for ((n = 1; n <= C_NODES; n++)); do c_node_pid "$n" >/dev/null && running=$((running + 1)); done
	if ((running == C_NODES)); then
		log "cluster already running"
		c_bootstrap
		return 0
	fi
	((running == 0)) || die "cluster partly running ($running of $C_NODES nodes); use cluster-start-broker N or cluster-stop"
	ensure_java
	fetch_jars
	for ((n = 1; n <= C_NODES; n++)); do
		for p in "$(c_port "$n")" "$(c_ctrl "$n")"; do
			port_open "$p" && die "port $HOST:$p is already in use; set CER_KAFKA_CLUSTER_PORT / CER_KAFKA_CLUSTER_CONTROLLER_PORT"
		done
	done
	rm -rf "${C_STATE:?}"/node* "$C_STATE/probe.log"
	local cid
	cid=$(random_cluster_id)
	for ((n = 1; n <= C_NODES; n++)); do
		c_render "$n"
		"$JAVA" "${TOOL_JVM[@]}" -Dlog4j.configuration="file:$C_STATE/node$n/config/tools-log4j.properties" \
			-cp "$LIB/*" kafka.tools.StorageTool format --config "$(c_props "$n")" --cluster-id "$cid" \
			</dev/null >"$C_STATE/node$n/logs/format.log" 2>&1 &
	done
	wait || die "kafka.tools.StorageTool format failed (see $C_STATE/node*/logs/format.log)"
	for ((n = 1; n <= C_NODES; n++)); do c_launch "$n"; done
	c_write_env
	log "started $C_NODES nodes; waiting up to ${WAIT_SECS}s for all to register"
	c_wait "1 2 3"
	log "cluster ready in $((SECONDS - t0)) s: $(c_bootstrap)"
	c_bootstrap
}

c_stop_node() {
	local n=$1 pid SERVER_PROPS
	SERVER_PROPS=$(c_props "$n")
	if pid=$(c_node_pid "$n"); then
		log "stopping node $n (pid $pid)"
		stop_pid "$pid"
	fi
	rm -f "$(c_pidfile "$n")"
}

cmd_cluster_stop() {
	c_validate
	[[ -d $C_STATE ]] || { log "cluster not running"; return 0; }
	c_lock
	local n pids=()
	for ((n = 1; n <= C_NODES; n++)); do c_stop_node "$n" & pids+=($!); done
	wait "${pids[@]}" || true
	log "cluster stopped"
}

c_node_arg() {
	[[ ${1:-} =~ ^[1-3]$ ]] || die "expected a node number 1..$C_NODES, got '${1:-}'"
}

cmd_cluster_stop_broker() {
	c_node_arg "${1:-}"
	c_validate
	c_lock
	c_stop_node "$1"
	log "node $1 stopped"
}

cmd_cluster_start_broker() {
	c_node_arg "${1:-}"
	c_validate
	c_lock
	[[ -s $(c_props "$1") ]] || die "no cluster state in $C_STATE: run cluster-start first"
	if c_node_pid "$1" >/dev/null; then
		log "node $1 already running"
		return 0
	fi
	ensure_java
	local t0=$SECONDS
	c_launch "$1"
	# Ask the node itself: the others may still list it for a moment after its stop.
	c_wait "$1" "$HOST:$(c_port "$1")"
	log "node $1 back in $((SECONDS - t0)) s"
}

cmd_cluster_env() {
	c_validate
	c_write_env 2>/dev/null || { mkdir -p "$C_STATE" && c_write_env; }
	cat "$C_STATE/env.sh"
}

cmd_cluster_status() {
	c_validate
	local n pid up=0
	for ((n = 1; n <= C_NODES; n++)); do
		if pid=$(c_node_pid "$n"); then
			printf 'node %d  %s:%s  pid %s  rss %s kB\n' "$n" "$HOST" "$(c_port "$n")" "$pid" \
				"$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null)"
			up=$((up + 1))
		else
			printf 'node %d  %s:%s  stopped\n' "$n" "$HOST" "$(c_port "$n")"
		fi
	done
	((up > 0))
}

main() {
	local cmd=${1:-}
	[[ $# -gt 0 ]] && shift
	case $cmd in
	start) cmd_start "$@" ;;
	stop) cmd_stop "$@" ;;
	restart) cmd_stop && cmd_start ;;
	status) cmd_status "$@" ;;
	env) cmd_env "$@" ;;
	logs) cmd_logs "$@" ;;
	selftest) cmd_selftest "$@" ;;
	cluster-start) cmd_cluster_start "$@" ;;
	cluster-stop) cmd_cluster_stop "$@" ;;
	cluster-stop-broker) cmd_cluster_stop_broker "$@" ;;
	cluster-start-broker) cmd_cluster_start_broker "$@" ;;
	cluster-env) cmd_cluster_env "$@" ;;
	cluster-status) cmd_cluster_status "$@" ;;
	-h | --help | help) usage ;;
	'') usage >&2; exit 2 ;;
	*) printf 'kafka.sh: unknown command: %s\n' "$cmd" >&2; usage >&2; exit 2 ;;
	esac
}

main "$@"
