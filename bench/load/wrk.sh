#!/usr/bin/env bash
# wrk.sh compares what wrk and perfgate load cost per request, in CPU time,
# and the rate each reaches, against one trivial server on loopback (the
# benchmark server of bench_test.go, in its own process). Not run in CI.
#
#	bench/load/wrk.sh [seconds]
#
# Saturated: both with 8 requests in flight (wrk: 1 thread, 8 connections;
# perfgate load: a rate it cannot reach, --max-in-flight 8). Paced: perfgate
# load at 5000 and 20000 req/s (wrk has no pacing: these compare with its
# saturated CPU per request). It ends with each figure as a ratio to wrk -t1
# -c8's. It installs wrk with apt-get when it is missing.
set -euo pipefail
secs=${1:-5}
cd "$(dirname "$0")/../.."

if ! command -v wrk >/dev/null; then
	sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get install -y wrk >/dev/null
fi

tmp=$(mktemp -d)
go build -o "$tmp/perfgate" ./cmd/perfgate
go test -c -o "$tmp/load.test" ./bench/load

# The server serves until its stdin closes.
coproc SERVER { PERFGATE_LOAD_BENCH_SERVER=1 exec "$tmp/load.test" -test.run='^$'; }
trap 'exec {SERVER[1]}>&-; wait; rm -rf "$tmp"' EXIT
read -r addr <&"${SERVER[0]}"
url="http://$addr/"

# measure NAME CMD...: runs CMD, whose output the awk program in $figures
# turns into "REQUESTS RATE" (requests completed, per second), and prints
# CMD's CPU time (user + system) per request and its rate.
measure() {
	local name=$1; shift
	local cpu fig
	TIMEFORMAT='%U %S'
	cpu=$( { time "$@" >"$tmp/out" 2>&1; } 2>&1 )
	fig=$(awk "$figures" "$tmp/out")
	if [ -z "$fig" ]; then
		echo "$name: no figures in its output:" >&2
		cat "$tmp/out" >&2
		exit 1
	fi
	awk -v name="$name" -v fig="$fig" -v cpu="$cpu" 'BEGIN {
		split(cpu, c, " "); split(fig, f, " ")
		printf "%-26s %8d requests %7.2f µs CPU/req %8.0f req/s\n", name, f[1], (c[1] + c[2]) * 1e6 / f[1], f[2]
	}' | tee -a "$tmp/results"
}

# wrk: "N requests in 5.00s, ..." and "Requests/sec: R".
figures='/requests in/ { n = $1 } /^Requests\/sec:/ { r = $2 } END { if (n) print n, r }'
measure "wrk -t1 -c8" wrk -t1 -c8 -d"${secs}s" "$url"
measure "wrk -t2 -c8" wrk -t2 -c8 -d"${secs}s" "$url"

# perfgate load: "round 1: N requests at R req/s ...".
figures='/^round 1:/ { print $3, $6 }'
pg() {
	"$tmp/perfgate" load --target "$url" --out "$(mktemp -d -p "$tmp")" --timeout 30s --duration "${secs}s" --max-error-rate 0 "$@"
}
measure "perfgate load saturated" pg --rate 100000 --max-in-flight 8
measure "perfgate load 5000 req/s" pg --rate 5000
measure "perfgate load 20000 req/s" pg --rate 20000

# Ratios to wrk -t1 -c8: CPU per request (lower is better), and the
# saturated rate (higher is better).
awk '{ name = substr($0, 1, 26); cpu[NR] = $(NF-4); rate[NR] = $(NF-1); names[NR] = name }
	END {
		for (i = 1; i <= NR; i++) if (names[i] ~ /^wrk -t1 -c8 /) base = i
		if (!base) exit
		print "\nratio to wrk -t1 -c8:"
		for (i = 1; i <= NR; i++) {
			r = sprintf("%5.2fx req/s", rate[i] / rate[base])
			if (names[i] ~ /req\/s/) r = "(paced)" # its rate is the one asked for
			printf "%s %5.2fx CPU/req %s\n", names[i], cpu[i] / cpu[base], r
		}
	}' "$tmp/results"
