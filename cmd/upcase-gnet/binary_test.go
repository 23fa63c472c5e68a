package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// The end-to-end tests run the real binary, built once per test process:
// with the race detector, and, for the tests that measure a child's
// descriptors and memory (which the race detector multiplies), without.
var (
	raceBuild  = &build{flags: []string{"-race"}}
	plainBuild = &build{}
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, b := range []*build{raceBuild, plainBuild} {
		if b.dir != "" {
			os.RemoveAll(b.dir)
		}
	}
	os.Exit(code)
}

// binary builds ./cmd/upcase-gnet with -race once and returns its path.
func binary(t testing.TB) string {
	t.Helper()
	return raceBuild.path(t)
}

// plainBinary builds the command without the race detector, once.
func plainBinary(t testing.TB) string {
	t.Helper()
	return plainBuild.path(t)
}

// linuxChild is the binary for a test that runs serve as a child and
// measures it through Linux's /proc and limits: it skips the test on other
// systems and in -short mode (long says what makes it long), runs it in
// parallel, and returns the binary built without -race.
func linuxChild(t *testing.T, long string) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc and relies on Linux's loopback and limits")
	}
	if testing.Short() {
		t.Skip(long)
	}
	t.Parallel()
	return plainBinary(t)
}

// build is one build of the command, made at its first use.
type build struct {
	flags []string
	once  sync.Once
	dir   string
	bin   string
	err   error
}

// path builds the command once and returns its path.
func (b *build) path(t testing.TB) string {
	t.Helper()
	b.once.Do(func() {
		b.dir, b.err = os.MkdirTemp("", "upcase-gnet-bin")
		if b.err != nil {
			return
		}
		b.bin = filepath.Join(b.dir, "upcase-gnet")
		args := append(append([]string{"build"}, b.flags...), "-o", b.bin, ".")
		if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
			b.err = &buildError{err: err, out: out}
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.bin
}

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + string(e.out) }
