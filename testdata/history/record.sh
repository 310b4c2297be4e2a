#!/usr/bin/env bash
# record.sh records testdata/history/series: the benchmark history of a
# small module over 30 commits, where three commits change the speed of
# BenchmarkChecksum (commit 8: +8%, commit 17: -5%, commit 24: +15%) and
# nothing else changes (BenchmarkSort never does). Each commit's results are
# written as one benchmark file, with the configuration lines perfgate
# history import reads (commit, parent, commit-time, branch, subject, and the
# machine: go, kernel, cores). perfgate's history tests import them and must
# name those three commits, and no other.
#
# Usage: bash testdata/history/record.sh [ROUNDS] [COUNT] [BENCHTIME]
# (defaults 5 rounds of 2 samples of 100ms per benchmark and commit)
set -euo pipefail
rounds=${1:-5}
count=${2:-2}
benchtime=${3:-100ms}
here=$(cd "$(dirname "$0")" && pwd)
out="$here/series"
repo=$(mktemp -d)
trap 'rm -rf "$repo"' EXIT
cd "$repo"
# The commits' hashes depend only on this script: fixed names and dates, and
# no user or system git configuration (signing, line endings, hooks).
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=perfgate GIT_AUTHOR_EMAIL=perfgate@example.com
export GIT_COMMITTER_NAME=perfgate GIT_COMMITTER_EMAIL=perfgate@example.com
export GOWORK=off GOFLAGS=
git init -q -b main

# The work of BenchmarkChecksum is `units` passes over 4 KiB: 1000 units,
# then 1080 (+8%), 1026 (-5% of 1080), 1180 (+15% of 1026).
write_module() {
	cat > go.mod <<'MOD'
module example.com/series

go 1.26
MOD
	cat > series.go <<GO
// Package series is perfgate's history testdata: a checksum whose cost is
// set by units, and a sort that never changes.
package series

import "slices"

// units is the work of Checksum: passes over its input.
const units = $1

// Checksum mixes data, units times.
func Checksum(data []byte) uint64 {
	var h uint64 = 14695981039346656037
	for range units {
		for _, b := range data {
			h ^= uint64(b)
			h *= 1099511628211
		}
	}
	return h
}

// Sorted returns a sorted copy of xs.
func Sorted(xs []int) []int {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s
}
GO
	cat > series_test.go <<'GO'
package series

import (
	"math/rand/v2"
	"testing"
)

var sink uint64

func BenchmarkChecksum(b *testing.B) {
	data := make([]byte, 4096)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for b.Loop() {
		sink = Checksum(data)
	}
}

var sorted []int

func BenchmarkSort(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	xs := make([]int, 20000)
	for i := range xs {
		xs[i] = rng.IntN(1 << 20)
	}
	for b.Loop() {
		sorted = Sorted(xs)
	}
}
GO
}

units=1000
rm -rf "$out"
mkdir -p "$out" "$repo.bin"
trap 'rm -rf "$repo" "$repo.bin"' EXIT
: > "$out/changes.txt"
# Each commit: committed, its test binary built, its file begun with the
# configuration lines.
for n in $(seq 1 30); do
	subject="notes: entry $n"
	case $n in
	1) subject="series: checksum and sort" ;;
	8) units=1080; subject="checksum: more passes (+8%)" ;;
	17) units=1026; subject="checksum: fewer passes (-5%)" ;;
	24) units=1180; subject="checksum: more passes (+15%)" ;;
	esac
	write_module "$units"
	echo "entry $n" >> NOTES
	git add -A
	when=$(date -u -d "2026-10-01T00:00:00Z + $((n - 1)) hours" +%Y-%m-%dT%H:%M:%SZ)
	GIT_AUTHOR_DATE=$when GIT_COMMITTER_DATE=$when git commit -qm "$subject"
	hash=$(git rev-parse HEAD)
	parent=$(git rev-parse -q --verify HEAD^ 2>/dev/null || true)
	go test -c -o "$repo.bin/$n.test" .
	{
		echo "commit: $hash"
		[ -n "$parent" ] && echo "parent: $parent"
		echo "commit-time: $when"
		echo "branch: main"
		echo "subject: $subject"
		echo "go: $(go env GOVERSION)"
		echo "kernel: $(uname -r)"
		echo "cores: $(nproc)"
	} > "$out/$(printf %02d "$n").txt"
	case $n in
	8) echo "08 $hash BenchmarkChecksum +8%" >> "$out/changes.txt" ;;
	17) echo "17 $hash BenchmarkChecksum -5%" >> "$out/changes.txt" ;;
	24) echo "24 $hash BenchmarkChecksum +15%" >> "$out/changes.txt" ;;
	esac
done
# The samples: in rounds over all the commits, forward in odd rounds and
# backward in even ones, as a history would be measured over weeks: the
# machine's drift during the recording (on this shared machine, a tenth
# over a few minutes) falls on every commit alike instead of looking like
# a change at some commit.
for round in $(seq 1 "$rounds"); do
	order=$(seq 1 30)
	[ $((round % 2)) = 0 ] && order=$(seq 30 -1 1)
	for n in $order; do
		"$repo.bin/$n.test" -test.run '^$' -test.bench . -test.benchtime "$benchtime" -test.count "$count" \
			>> "$out/$(printf %02d "$n").txt"
	done
	echo "round $round of $rounds" >&2
done
