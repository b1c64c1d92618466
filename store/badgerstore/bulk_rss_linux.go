package badgerstore

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// bulkDropMapped drops from the process's resident set the pages of the
// table files of dir that Badger has mapped: StreamWriter writes every
// table through a shared mapping and keeps it mapped, so a load would
// otherwise hold the whole store it wrote in its resident memory. The
// pages stay in the page cache (written, or queued to be) and come back
// on the next read; only the mapping's hold on them goes. Call it only
// while no table is unmapped (during the stream: compactions are stopped),
// so no range named in /proc/self/maps can be reused meanwhile.
func bulkDropMapped(dir string) {
	if dir == "" {
		return
	}
	prefix := filepath.Clean(dir) + string(filepath.Separator)
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		// start-end perms offset dev inode path
		f := strings.Fields(sc.Text())
		if len(f) < 6 || !strings.HasPrefix(f[5], prefix) || !strings.HasSuffix(f[5], ".sst") {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, uintptr(start), uintptr(end-start), syscall.MADV_DONTNEED)
	}
}
