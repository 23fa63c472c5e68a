package testkit

import (
	"io"
	"os"
	"os/exec"
	"testing"
)

// Child is the test binary run again as a helper process, which an
// environment variable of the test's turns into something else: a server
// under limits of its own, or a process to measure. By convention it runs
// until its standard input closes.
type Child struct {
	Cmd    *exec.Cmd
	Stdin  io.WriteCloser
	Stdout io.ReadCloser
	Stderr io.ReadCloser
}

// StartChild runs the test binary again with -test.run=run and env added
// to this process's environment, its standard streams piped. Ending it
// (closing Stdin, waiting) is the test's.
func StartChild(t testing.TB, run string, env ...string) *Child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run="+run)
	cmd.Env = append(os.Environ(), env...)
	c := &Child{Cmd: cmd}
	var err error
	if c.Stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if c.Stdout, err = cmd.StdoutPipe(); err != nil {
		t.Fatal(err)
	}
	if c.Stderr, err = cmd.StderrPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return c
}
