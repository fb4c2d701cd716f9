#!/usr/bin/env bash
# Runs the Eclipse Paho interoperability suite (eclipse/paho.mqtt.testing, unmodified) against
# a fresh `smart-outlet serve` on free ports with a temporary database. For people who have a
# checkout of that repository; CI cannot download it and we do not vendor it (our own suite is
# tests/interop/interop_test.py).
#
#   tests/interop/run-paho-suite.sh PATH/TO/paho.mqtt.testing                 # MQTT 3.1.1, all 10 tests
#   tests/interop/run-paho-suite.sh PATH/TO/paho.mqtt.testing testBasic ...   # chosen 3.1.1 tests
#   tests/interop/run-paho-suite.sh --v5 PATH/TO/paho.mqtt.testing [TEST...]  # MQTT 5, one process per test
#
# Uses $INTEROP_SERVER_BIN if set (not SMART_OUTLET_…: the server reads that prefix as settings), else builds `smart-outlet` with cargo (into $CARGO_TARGET_DIR
# or ./target). The server log is printed when a test fails. Exit status: 0 when all passed.
#
# The suite's client_test.py reads `-p` with getopt, which unittest's own argument parsing then
# rejects; so a small driver (written below, ours) imports the module, sets its host, port and
# topic globals and runs its unittest cases.
set -euo pipefail

v5=0
if [[ "${1:-}" == "--v5" ]]; then
  v5=1
  shift
fi
if [[ $# -lt 1 || ! -f "$1/interoperability/client_test.py" ]]; then
  echo "usage: $0 [--v5] PATH/TO/paho.mqtt.testing [TEST...]" >&2
  echo "  (git clone https://github.com/eclipse/paho.mqtt.testing)" >&2
  exit 2
fi
suite="$(cd "$1/interoperability" && pwd)"
shift
repo="$(cd "$(dirname "$0")/../.." && pwd)"

if [[ -n "${INTEROP_SERVER_BIN:-}" ]]; then
  bin="$INTEROP_SERVER_BIN"
else
  (cd "$repo" && cargo build --quiet --bin smart-outlet)
  bin="${CARGO_TARGET_DIR:-$repo/target}/debug/smart-outlet"
fi

tmp="$(mktemp -d)"
server=""
cleanup() {
  if [[ -n "$server" ]]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

read -r mqtt_port v5_port http_port < <(python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
EOF
)

cat >"$tmp/config.toml" <<EOF
[http]
addr = "127.0.0.1:$http_port"

[mqtt]
addr = "127.0.0.1:$mqtt_port"
v5_addr = "127.0.0.1:$v5_port"
allow_anonymous = true

[mqtt.anonymous]
publish = ["#"]
subscribe = ["#"]
deny = ["test/nosubscribe"]
EOF
# A build without the anonymous topic rules does not know [mqtt.anonymous]: run without it
# (then test_subscribe_failure cannot pass).
if ! "$bin" config --config "$tmp/config.toml" --data-dir "$tmp/data" >/dev/null 2>&1; then
  echo "note: this build does not accept [mqtt.anonymous]; running without the denied filter" >&2
  sed -i '/^\[mqtt.anonymous\]/,$d' "$tmp/config.toml"
fi

"$bin" serve --config "$tmp/config.toml" --data-dir "$tmp/data" >"$tmp/server.log" 2>&1 &
server=$!
python3 - "$mqtt_port" "$v5_port" "$server" <<'EOF' || { cat "$tmp/server.log" >&2; exit 1; }
import os, socket, sys, time
deadline = time.monotonic() + 120
for port in map(int, sys.argv[1:3]):
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            os.kill(int(sys.argv[3]), 0)  # the server died: stop waiting
            if time.monotonic() > deadline:
                sys.exit(f"port {port} never accepted")
            time.sleep(0.1)
EOF

cat >"$tmp/drive.py" <<'EOF'
import importlib, logging, os, sys, unittest
suite_dir, module, port, names = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
sys.path.insert(0, suite_dir)
os.chdir(suite_dir)
m = importlib.import_module(module)
m.host, m.port, m.topic_prefix = "127.0.0.1", port, "client_test5/"
m.topics = ("TopicA", "TopicA/B", "Topic/C", "TopicA/C", "/TopicA")
m.wildtopics = ("TopicA/+", "+/C", "#", "/#", "/+", "+/+", "TopicA/#")
m.nosubscribe_topics = ("test/nosubscribe",)
logging.getLogger().setLevel(logging.ERROR)
loader = unittest.TestLoader()
if names:
    tests = unittest.TestSuite(loader.loadTestsFromName("Test." + n, m) for n in names)
else:
    tests = loader.loadTestsFromTestCase(m.Test)
sys.exit(0 if unittest.TextTestRunner(verbosity=2).run(tests).wasSuccessful() else 1)
EOF

status=0
if [[ $v5 == 0 ]]; then
  echo "MQTT 3.1.1 suite against 127.0.0.1:$mqtt_port"
  python3 "$tmp/drive.py" "$suite" client_test "$mqtt_port" "$@" || status=$?
else
  echo "MQTT 5 suite against 127.0.0.1:$v5_port, one test per process"
  if [[ $# -eq 0 ]]; then
    set -- $(grep -o '^    def test_[a-z0-9_]*' "$suite/client_test5.py" | sed 's/ *def //')
  fi
  passed=() failed=()
  for t in "$@"; do
    if timeout 180 python3 "$tmp/drive.py" "$suite" client_test5 "$v5_port" "$t"; then
      passed+=("$t")
    else
      failed+=("$t")
      status=1
    fi
  done
  echo "passed (${#passed[@]}): ${passed[*]}"
  echo "failed (${#failed[@]}): ${failed[*]}"
fi
if [[ $status != 0 ]]; then
  echo "---- server log ($tmp/server.log) ----"
  tail -n 50 "$tmp/server.log"
fi
exit $status
