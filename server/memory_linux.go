package server

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// systemMemory is the machine's memory, or the cgroup's limit when lower;
// 0 when unknown.
func systemMemory() int64 {
	var si unix.Sysinfo_t
	var total int64
	if err := unix.Sysinfo(&si); err == nil {
		total = int64(si.Totalram) * int64(si.Unit)
	}
	// cgroup v2, then v1; "max" or a huge v1 value mean no limit.
	for _, path := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		if limit, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && limit > 0 && (total <= 0 || limit < total) {
			total = limit
		}
		break
	}
	return total
}
