//go:build !linux

package main

import (
	"io/fs"
	"os"
	"os/exec"
	"time"
)

func allocated(info fs.FileInfo) int64 { return info.Size() }

func dieWithParent(*exec.Cmd) {}

func preciseSleep(d time.Duration) { time.Sleep(d) }

func maxRSS(*os.ProcessState) int64 { return 0 }
