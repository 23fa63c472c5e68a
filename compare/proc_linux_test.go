//go:build linux

package compare

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// The helper child: it touches helperMemory bytes, burns helperCPU of CPU
// time (by its own getrusage), says "ready", and waits for its stdin to
// close.
const (
	helperMemory = 64 << 20
	helperCPU    = 300 * time.Millisecond
)

func init() { helpers["proc"] = procHelper }

var sink []byte

func procHelper() {
	sink = make([]byte, helperMemory)
	for i := 0; i < len(sink); i += 4096 { // a byte a page makes it resident
		sink[i] = 1
	}
	runtime.LockOSThread()
	for x := 0; ; x++ {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		if time.Duration(ru.Utime.Nano()+ru.Stime.Nano()) >= helperCPU {
			break
		}
		for i := 0; i < 100000; i++ {
			x ^= i * x
		}
		sink[x&0xff] = byte(x)
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	runtime.KeepAlive(sink)
}

func TestReadProcOfAChild(t *testing.T) {
	t.Parallel()
	child := testkit.StartChild(t, "^$", helperEnv+"=proc")
	cmd, stdin, stdout := child.Cmd, child.Stdin, child.Stdout
	t.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	before, err := readProc(cmd.Process.Pid)
	if err != nil {
		t.Fatalf("readProc of a starting child: %v", err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("helper said %q, %v", line, err)
	}

	// Sampled from a sampler, as a run does: the child holds its memory
	// and has burnt its CPU, so every sample sees them.
	s := startSampler(cmd.Process.Pid, time.Now(), time.Millisecond)
	samples, peak, err := s.stop()
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) < 2 {
		t.Fatalf("%d samples, want the first and the last at least", len(samples))
	}
	last := samples[len(samples)-1]
	if last.RSS < helperMemory {
		t.Errorf("RSS %d, want at least the %d bytes the child touched", last.RSS, helperMemory)
	}
	if peak < last.RSS {
		t.Errorf("peak RSS %d below RSS %d", peak, last.RSS)
	}
	// /proc counts in clock ticks, getrusage finer: allow two ticks.
	if slack := 2 * time.Second / time.Duration(clockTicks); last.CPU < helperCPU-slack {
		t.Errorf("CPU %v, want at least the %v the child burnt", last.CPU, helperCPU)
	}
	if last.CPU < before.CPU || last.At < samples[0].At {
		t.Errorf("samples go backwards: %+v then %+v", samples[0], last)
	}
	if got := last.CPU; got > 30*time.Second {
		t.Errorf("CPU %v: clock ticks misread (%d a second)", got, clockTicks)
	}
}

func TestReadProcOfNoProcess(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	// The child has been waited for: its pid names no process now (pids
	// are not reused this quickly).
	if _, err := readProc(cmd.Process.Pid); err == nil {
		t.Errorf("readProc of a reaped process succeeded")
	}
	if s := startSampler(cmd.Process.Pid, time.Now(), time.Millisecond); s.err == nil {
		t.Errorf("a sampler of a reaped process has no error")
	} else if samples, _, err := s.stop(); err == nil || len(samples) != 0 {
		t.Errorf("stop gave %d samples and %v", len(samples), err)
	}
}

func TestStatParsing(t *testing.T) {
	t.Parallel()
	// A command name with spaces and parentheses, utime 150 and stime 50
	// ticks.
	stat := []byte("4242 (we(ird) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 3 0 100 1000000 200 18446744073709551615")
	got, err := statCPU(stat)
	if err != nil {
		t.Fatal(err)
	}
	if want := 200 * time.Second / time.Duration(clockTicks); got != want {
		t.Errorf("statCPU = %v, want %v", got, want)
	}
	if _, err := statCPU([]byte("4242 (x) S 1")); err == nil {
		t.Error("a short stat line parsed")
	}
	status := []byte("Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n")
	if rss, err := statusKB(status, "VmRSS:"); err != nil || rss != 1<<20 {
		t.Errorf("VmRSS = %d, %v", rss, err)
	}
	if _, err := statusKB(status, "VmSwap:"); err == nil {
		t.Error("a missing status line parsed")
	}
}
