package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// The machine is shared: the harness and the server run on the same CPUs,
// and on a developer machine so may anything else. Every phase records
// where the CPU time went, from /proc, so that a phase disturbed by other
// processes (or by the hypervisor: steal) shows in the report.

// cpuSample is a snapshot of CPU counters, in clock ticks.
type cpuSample struct {
	ok                 bool
	total, idle, steal int64 // all CPUs (/proc/stat)
	server, harness    int64 // user+system of the server and of this process
}

// cpuUse is the average CPU use over an interval, in cores.
type cpuUse struct {
	Valid                         bool
	Server, Harness, Other, Steal float64
}

func sampleCPU(serverPid int) cpuSample {
	var s cpuSample
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal guest guest_nice
	if len(f) < 9 || f[0] != "cpu" {
		return s
	}
	for i := 1; i <= 8; i++ {
		n, _ := strconv.ParseInt(f[i], 10, 64)
		s.total += n
	}
	idle, _ := strconv.ParseInt(f[4], 10, 64)
	iowait, _ := strconv.ParseInt(f[5], 10, 64)
	s.steal, _ = strconv.ParseInt(f[8], 10, 64)
	s.idle = idle + iowait
	var ok1, ok2 bool
	s.server, ok1 = procTicks(fmt.Sprintf("/proc/%d/stat", serverPid))
	s.harness, ok2 = procTicks("/proc/self/stat")
	s.ok = ok1 && ok2
	return s
}

// procTicks is utime+stime of a process (fields 14 and 15 of stat).
func procTicks(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	return u + st, err1 == nil && err2 == nil
}

// use is the CPU use from a to b. ncpu converts all-CPU ticks to wall
// ticks, so no clock-tick rate is needed.
func (a cpuSample) use(b cpuSample, ncpu int) cpuUse {
	wall := float64(b.total-a.total) / float64(ncpu)
	if !a.ok || !b.ok || wall <= 0 {
		return cpuUse{}
	}
	busy := float64(b.total-a.total-(b.idle-a.idle)-(b.steal-a.steal)) / wall
	u := cpuUse{Valid: true,
		Server:  float64(b.server-a.server) / wall,
		Harness: float64(b.harness-a.harness) / wall,
		Steal:   float64(b.steal-a.steal) / wall,
	}
	u.Other = max(0, busy-u.Server-u.Harness)
	return u
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
