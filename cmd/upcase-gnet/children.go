package main

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/load"
)

// children is this binary's contract with compare (compare.Children): the
// command lines of the serve and load children compare runs, with the flags
// serve.go and load.go define; the line serve prints once it listens; and
// the environment the children read as flags (flags.go). This file is its
// one home: serve prints listeningLine, and compare, the tests and the
// scripts read that line as ListeningAt does.
type children struct{}

// listenPrefix starts the first line serve prints: "Listening at ADDR".
const listenPrefix = "Listening at "

// listeningLine is the first line serve prints, once it listens at addr.
func listeningLine(addr string) string { return listenPrefix + addr }

// ServeArgs are the arguments of a quiet serve of eng on host at a free port,
// with extra after them.
func (children) ServeArgs(eng engine.Name, host string, extra []string) []string {
	args := []string{"serve", "--quiet", "--host", host, "--port", "0", "--engine", string(eng)}
	return append(args, extra...)
}

// ListeningAt reads the address from serve's first line, listeningLine's.
func (children) ListeningAt(line string) (string, error) {
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), listenPrefix)
	if !ok {
		return "", fmt.Errorf("its first line is %q, want %q", line, listeningLine("ADDR"))
	}
	return addr, nil
}

// LoadArgs are the arguments of a load of job (its Address, Mode, Conns,
// Duration, Warmup, Size, Window, Rate and SlowBytes) that prints its result
// as JSON however many errors it counts, and with job.Progress set its
// progress as JSON lines on stderr (--progress-json), else none (--quiet),
// with extra after them:
// what loadConfig reads back into the same job.
func (children) LoadArgs(job load.Config, extra []string) []string {
	host, port, _ := net.SplitHostPort(job.Address)
	args := []string{"load", "--json", "--allow-errors",
		"--host", host, "--port", port,
		"--conns", strconv.Itoa(job.Conns),
		"--duration", job.Duration.String(),
		"--warmup", job.Warmup.String(),
		"--size", strconv.Itoa(job.Size),
		"--mode", string(job.Mode),
	}
	if job.Mode == load.Stream {
		args = append(args, "--window", strconv.Itoa(job.Window))
	}
	if job.Rate != 0 {
		args = append(args, "--rate", strconv.FormatFloat(job.Rate, 'g', -1, 64))
	}
	if job.Mode == load.Slow {
		args = append(args, "--slow-bytes", strconv.FormatInt(job.SlowBytes, 10))
	}
	if job.Progress != nil {
		args = append(args, "--progress-json")
	} else {
		// compare reads the child's stderr for its errors: no progress
		// lines among them.
		args = append(args, "--quiet")
	}
	return append(args, extra...)
}

// Env is environ without the variables a flag reads (envPrefix): each
// child's flags are exactly its arguments, so that UPCASE_GNET_UNIX cannot
// move a server off TCP, nor UPCASE_GNET_RATE, _LOOPS or _IDLE_TIMEOUT
// silently change what is measured.
func (children) Env(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		if !strings.HasPrefix(kv, envPrefix) {
			out = append(out, kv)
		}
	}
	return out
}
