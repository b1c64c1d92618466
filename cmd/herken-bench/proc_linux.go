package main

import (
	"io/fs"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// allocated is the disk space a file takes (st_blocks), as du counts it.
func allocated(info fs.FileInfo) int64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return st.Blocks * 512
	}
	return info.Size()
}

// dieWithParent has the kernel kill the server if herken-bench dies
// without stopping it (a crash, kill -9).
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// preciseSleep sleeps d with nanosleep(2). The Go timer rounds short
// sleeps up to about a millisecond on this kind of machine, too coarse to
// pace an open loop at thousands of calls per second; nanosleep oversleeps
// by tens of microseconds. It blocks the calling thread.
func preciseSleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil)
}

// maxRSS is a finished process's peak resident set (ru_maxrss, KiB on
// Linux).
func maxRSS(ps *os.ProcessState) int64 {
	if ps == nil {
		return 0
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss << 10
	}
	return 0
}
