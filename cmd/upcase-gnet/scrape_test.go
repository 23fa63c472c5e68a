package main

// A serve child seen from outside: its metrics endpoint, its /proc and its
// sockets.

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// metricSet is one scrape: each sample's value by its name and labels as
// the text format writes them.
type metricSet map[string]float64

// get returns the sample of name with the given label pairs, or of name
// alone with its one label engine; absent samples are -1.
func (m metricSet) get(name string, labelPairs ...string) float64 {
	for k, v := range m {
		n, labels, _ := strings.Cut(k, "{")
		if n != name {
			continue
		}
		match := true
		for i := 0; i+1 < len(labelPairs); i += 2 {
			if !strings.Contains(labels, fmt.Sprintf("%s=%q", labelPairs[i], labelPairs[i+1])) {
				match = false
			}
		}
		if match {
			return v
		}
	}
	return -1
}

// summary is the upcase_gnet samples of a scrape, for a failure message.
func (m metricSet) summary() string {
	var s []string
	for k, v := range m {
		if strings.HasPrefix(k, "upcase_gnet_") && v != 0 {
			s = append(s, fmt.Sprintf("%s=%v", strings.TrimPrefix(k, "upcase_gnet_"), v))
		}
	}
	return strings.Join(s, " ")
}

// get fetches path from the child's metrics endpoint with a bare HTTP/1.0
// request (no client connection pool left behind) and returns the body.
func (p *serveChild) get(path string) ([]byte, error) {
	c, err := net.DialTimeout("tcp", strings.TrimSuffix(strings.TrimPrefix(p.metrics, "http://"), "/metrics"), faultBound)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(faultBound))
	fmt.Fprintf(c, "GET %s HTTP/1.0\r\nAccept: text/plain\r\n\r\n", path)
	resp, err := io.ReadAll(c)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(resp, []byte("HTTP/1.0 200 ")) {
		return nil, fmt.Errorf("GET %s: %q", path, resp[:min(len(resp), 40)])
	}
	_, body, _ := bytes.Cut(resp, []byte("\r\n\r\n"))
	return body, nil
}

// scrape fetches the child's metrics in the text format.
func (p *serveChild) scrape() (metricSet, error) {
	body, err := p.get("/metrics")
	if err != nil {
		return nil, err
	}
	m := metricSet{}
	for line := range strings.Lines(string(body)) {
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(line[i+1:]), 64)
		if err == nil {
			m[line[:i]] = v
		}
	}
	return m, nil
}

// collect asks the child for a garbage collection: its pprof endpoint
// collects before it writes a heap profile.
func (p *serveChild) collect() {
	_, _ = p.get("/debug/pprof/heap?gc=1")
}

// waitMetrics scrapes until cond holds, for at most faultBound.
func (p *serveChild) waitMetrics(t *testing.T, what string, cond func(metricSet) bool) metricSet {
	t.Helper()
	var m metricSet
	var err error
	if !testkit.Poll(faultBound, func() bool { m, err = p.scrape(); return err == nil && cond(m) }) {
		t.Fatalf("waiting %v for %s: last scrape %v, %v\n%s\nsockets on its port:\n%s", faultBound, what, m.summary(), err, p.stderr.Tail(10), p.sockets())
	}
	return m
}

// sockets lists, for a failure message, the TCP sockets of both ends on
// the child's port that hold queued bytes or are not established (ss -tnoi):
// whether a stuck connection's bytes wait unread in the server's socket
// (Recv-Q), unsent in the client's, or nowhere.
func (p *serveChild) sockets() string {
	_, port, _ := net.SplitHostPort(p.addr)
	out, err := exec.Command("ss", "-tnoi", "-H", "state", "all", "( sport = :"+port+" or dport = :"+port+" )").CombinedOutput()
	if err != nil {
		return err.Error()
	}
	var keep []string
	states := map[string]int{}
	lines := strings.Split(string(out), "\n")
	for i := 0; i < len(lines); i++ {
		f := strings.Fields(lines[i])
		if len(f) < 5 || strings.HasPrefix(lines[i], "\t") || strings.HasPrefix(lines[i], " ") {
			continue
		}
		states[f[0]]++
		info := ""
		if i+1 < len(lines) && (strings.HasPrefix(lines[i+1], "\t") || strings.HasPrefix(lines[i+1], " ")) {
			info = strings.TrimSpace(lines[i+1])
		}
		if (f[1] != "0" || f[2] != "0" || (f[0] != "ESTAB" && f[0] != "LISTEN" && f[0] != "TIME-WAIT")) && len(keep) < 80 {
			keep = append(keep, lines[i]+" | "+info)
		}
	}
	return fmt.Sprintf("states %v\n%s", states, strings.Join(keep, "\n"))
}

// procMemory is a process's resident memory now and at its peak, in bytes.
type procMemory struct{ rss, hwm int64 }

// memory reads the child's VmRSS and VmHWM.
func (p *serveChild) memory(t *testing.T) procMemory {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	var m procMemory
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			m.rss = kb << 10
		case "VmHWM:":
			m.hwm = kb << 10
		}
	}
	return m
}

// openFiles counts the child's open descriptors.
func (p *serveChild) openFiles(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}
