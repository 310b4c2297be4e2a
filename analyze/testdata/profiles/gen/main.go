//go:build ignore

// Command gen writes the profile fixtures of analyze's hot-function tests
// (see ../README.md): a real CPU or allocation profile, written by
// runtime/pprof, of a loop of operations, and the number of operations it
// covers.
//
//	go run gen/main.go -side base -kind cpu -o cpu-base.pb.gz
//
// Each operation calls work1, work2 and misc. On the head side work2 does
// its work three times: it costs three times the CPU and allocates three
// times the bytes and objects; work1 and misc do not change. A cpu profile
// covers a fixed window (-window), as a profile of a service under load
// does, so the two sides run different numbers of operations; an allocs
// profile covers a fixed number of operations (-ops), with every allocation
// sampled (runtime.MemProfileRate = 1). The number of operations is written
// to the file named by -o with ".ops" in place of ".pb.gz".
package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"time"
)

var (
	sideFlag = flag.String("side", "base", "base, or head: work2 costs 3x")
	kindFlag = flag.String("kind", "cpu", "cpu: a CPU profile of a fixed window; allocs: an allocation profile of a fixed number of operations")
	outFlag  = flag.String("o", "", "the profile file to write (.pb.gz)")
	window   = flag.Duration("window", 2*time.Second, "the window of a cpu profile")
	opsFlag  = flag.Int("ops", 3000, "the operations of an allocs profile")
)

// Sinks keep the compiler from removing the work, and make the buffers
// escape to the heap.
var (
	sink    uint64
	sinkBuf []byte
	sinkStr string
	sinkMap map[int]string
)

// spin advances x by n steps of a linear congruential generator, writing
// into buf: CPU work of the caller's own (the loop is in the caller, since
// spin is inlined).
func spin(x uint64, buf []byte, n int) uint64 {
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
		buf[i&(len(buf)-1)] ^= byte(x >> 56)
	}
	return x
}

// work1 costs the same on both sides: 20000 steps, 256 bytes.
//
//go:noinline
func work1(x uint64) uint64 {
	buf := make([]byte, 256)
	for i := 0; i < 20000; i++ {
		x = x*6364136223846793005 + 1442695040888963407
		buf[i&255] ^= byte(x >> 56)
	}
	sinkBuf = buf
	return x
}

// work2 costs 20000 steps and 512 bytes, times times.
//
//go:noinline
func work2(x uint64, times int) uint64 {
	for t := 0; t < times; t++ {
		buf := make([]byte, 512)
		for i := 0; i < 20000; i++ {
			x = x*2862933555777941757 + 3037000493
			buf[i&511] ^= byte(x >> 56)
		}
		sinkBuf = buf
	}
	return x
}

// fib is recursive, so that a function appears several times in a stack.
//
//go:noinline
func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

// misc does a little of many things, the same on both sides, so that the
// profiles name many functions: hashing, sorting, formatting, maps,
// recursion and an inlined helper.
//
//go:noinline
func misc(x uint64) uint64 {
	data := make([]byte, 1024)
	x = spin(x, data, 2000)
	sum := sha256.Sum256(data)
	ints := make([]int, 200)
	for i := range ints {
		ints[i] = int(sum[i%len(sum)]) ^ i*7919
	}
	sort.Ints(ints)
	var b strings.Builder
	for i := 0; i < 8; i++ {
		b.WriteString(strconv.Itoa(ints[i*25]))
		b.WriteByte(',')
	}
	sinkStr = fmt.Sprintf("%s|%x", b.String(), sum[:4])
	m := make(map[int]string)
	for i := 0; i < 16; i++ {
		m[ints[i]] = sinkStr
	}
	sinkMap = m
	return x + uint64(fib(14))
}

// op is one unit of work.
//
//go:noinline
func op(x uint64, head bool) uint64 {
	times := 1
	if head {
		times = 3
	}
	x = work1(x)
	x = work2(x, times)
	return misc(x)
}

func main() {
	flag.Parse()
	if *outFlag == "" || !strings.HasSuffix(*outFlag, ".pb.gz") {
		log.Fatal("gen: -o FILE.pb.gz is required")
	}
	head := *sideFlag == "head"
	if !head && *sideFlag != "base" {
		log.Fatalf("gen: -side %q: want base or head", *sideFlag)
	}
	f, err := os.Create(*outFlag)
	if err != nil {
		log.Fatal(err)
	}
	var ops int
	x := uint64(1)
	switch *kindFlag {
	case "cpu":
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		for start := time.Now(); time.Since(start) < *window; ops++ {
			x = op(x, head)
		}
		pprof.StopCPUProfile()
	case "allocs":
		runtime.MemProfileRate = 1
		for ; ops < *opsFlag; ops++ {
			x = op(x, head)
		}
		runtime.GC()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			log.Fatal(err)
		}
	default:
		log.Fatalf("gen: -kind %q: want cpu or allocs", *kindFlag)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	sink = x
	opsFile := strings.TrimSuffix(*outFlag, ".pb.gz") + ".ops"
	if err := os.WriteFile(opsFile, []byte(strconv.Itoa(ops)+"\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d operations\n", *outFlag, ops)
}
