//go:build linux

package compare

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
	"unsafe"
)

// procAvailable says whether readProc can measure a process here.
const procAvailable = true

// readProc reads a process's resident set, its peak, and the CPU time (user
// and system, every thread's, exited threads included) it has used so far,
// from /proc/PID/status and /proc/PID/stat.
func readProc(pid int) (procSample, error) {
	var s procSample
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, fmt.Errorf("compare: %w", err)
	}
	if s.RSS, err = statusKB(status, "VmRSS:"); err != nil {
		return s, err
	}
	if s.PeakRSS, err = statusKB(status, "VmHWM:"); err != nil {
		return s, err
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, fmt.Errorf("compare: %w", err)
	}
	if s.CPU, err = statCPU(stat); err != nil {
		return s, err
	}
	return s, nil
}

// statusKB is the value in bytes of a "Name:  123 kB" line of
// /proc/PID/status.
func statusKB(status []byte, name string) (int64, error) {
	i := bytes.Index(status, []byte(name))
	if i < 0 {
		return 0, fmt.Errorf("compare: /proc status has no %s", name)
	}
	line := status[i+len(name):]
	if j := bytes.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	f := bytes.Fields(line)
	if len(f) != 2 || string(f[1]) != "kB" {
		return 0, fmt.Errorf("compare: /proc status line %s%q: want a number of kB", name, line)
	}
	kb, err := strconv.ParseInt(string(f[0]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("compare: /proc status %s: %w", name, err)
	}
	return kb << 10, nil
}

// statCPU is utime+stime of a /proc/PID/stat line.
func statCPU(stat []byte) (time.Duration, error) {
	// The command name, in parentheses, may hold spaces and parentheses:
	// the fields start after the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("compare: malformed /proc stat %q", stat)
	}
	f := bytes.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("compare: short /proc stat %q", stat)
	}
	var ticks int64
	for _, v := range f[11:13] {
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("compare: /proc stat cpu time: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / time.Duration(clockTicks), nil
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat times:
// AT_CLKTCK from this process's auxiliary vector, or 100, its value on every
// common architecture.
var clockTicks = func() int64 {
	auxv, err := os.ReadFile("/proc/self/auxv")
	if err != nil {
		return 100
	}
	const atClkTck = 17
	word := int(unsafe.Sizeof(uintptr(0)))
	read := func(b []byte) uint64 {
		if word == 4 {
			return uint64(binary.NativeEndian.Uint32(b))
		}
		return binary.NativeEndian.Uint64(b)
	}
	for ; len(auxv) >= 2*word; auxv = auxv[2*word:] {
		if read(auxv) == atClkTck {
			if v := int64(read(auxv[word:])); v > 0 {
				return v
			}
		}
	}
	return 100
}()

// childAttr puts a child in its own process group, so that a Ctrl-C at the
// terminal reaches compare alone and compare stops its children in order,
// and has the kernel kill the child if compare dies without doing so.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
