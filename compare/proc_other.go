//go:build !linux

package compare

import (
	"errors"
	"syscall"
)

// procAvailable says whether readProc can measure a process here.
const procAvailable = false

// readProc is not available beyond Linux: server memory and CPU are
// reported as not available.
func readProc(pid int) (procSample, error) {
	return procSample{}, errors.New("compare: process memory and CPU sampling is not available on this system")
}

// childAttr puts a child in its own process group, so that a Ctrl-C at the
// terminal reaches compare alone and compare stops its children in order.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// clockTicks is the unit of CPU times in samples; there are none here.
const clockTicks = 100
