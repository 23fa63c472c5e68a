//go:build !linux

package server

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// systemMemory is the machine's memory; 0 when unknown.
func systemMemory() int64 {
	name := "hw.physmem"
	if runtime.GOOS == "darwin" {
		name = "hw.memsize"
	}
	n, err := unix.SysctlUint64(name)
	if err != nil {
		return 0
	}
	return int64(n)
}
