package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// servers are what every benchmark measures: each engine, then the floor
// of each.
var servers = []engine.Name{engine.Gnet, engine.Goroutine, engine.BareGnet, engine.BareGoroutine}

// sizes are the connection counts each benchmark is run at.
var sizes = []int{1000, 10000}

// bound is the most any one step of a benchmark may take before it fails:
// a start, a stop, a connect, a reply.
const bound = 30 * time.Second

// listenPrefix starts serve's first line (listeningLine in
// cmd/upcase-gnet).
const listenPrefix = "Listening at "

func TestMain(m *testing.M) {
	raiseFileLimit()
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// raiseFileLimit raises the soft open-file limit to the hard one: a
// benchmark holds up to 10,000 connections. Servers started later inherit
// it.
func raiseFileLimit() {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil && rl.Cur < rl.Max {
		rl.Cur = rl.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
}

// built is the command, built without the race detector once per run.
var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// binary builds ./cmd/upcase-gnet once and returns its path.
func binary(b *testing.B) string {
	b.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "upcase-gnet-bench"); built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "upcase-gnet")
		out, err := exec.Command("go", "build", "-o", built.bin, "github.com/upcase-gnet/upcase-gnet/cmd/upcase-gnet").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		b.Fatal(built.err)
	}
	return built.bin
}

// child is a running `upcase-gnet serve`.
type child struct {
	name   engine.Name
	cmd    *exec.Cmd
	addr   string
	stderr *testkit.Log
	done   chan struct{} // closed once it has exited
	err    error         // how, once done is closed
	once   sync.Once
}

// startServer runs serve of eng, quiet, on 127.0.0.1 at a free port, and
// returns once it listens. It is stopped at the end of the benchmark if
// it has not been before.
func startServer(b *testing.B, eng engine.Name) *child {
	b.Helper()
	cmd := exec.Command(binary(b), "serve", "--quiet", "--log-level", "error",
		"--host", "127.0.0.1", "--port", "0", "--engine", string(eng))
	// Each flag exactly as given: no UPCASE_GNET_ variable may change it.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "UPCASE_GNET_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	p := &child{name: eng, cmd: cmd, stderr: new(testkit.Log), done: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.stop)
	first := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		first <- line
		_, _ = io.Copy(io.Discard, r) // the --quiet summaries
		p.err = cmd.Wait()
		close(p.done)
	}()
	select {
	case line := <-first:
		addr, ok := strings.CutPrefix(strings.TrimSpace(line), listenPrefix)
		if !ok {
			<-p.done
			b.Fatalf("serve --engine %s: first line %q, want %q; %v\n%s", eng, line, listenPrefix+"ADDR", p.err, p.stderr.Tail(10))
		}
		p.addr = addr
	case <-time.After(bound):
		b.Fatalf("serve --engine %s printed nothing in %v", eng, bound)
	}
	return p
}

// pid is the server's process id.
func (p *child) pid() int { return p.cmd.Process.Pid }

// stop ends the server with SIGTERM, or kills it if it is still running
// after bound.
func (p *child) stop() {
	p.once.Do(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(bound):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
}

// alive fails b if the server has exited.
func (p *child) alive(b *testing.B) {
	b.Helper()
	select {
	case <-p.done:
		b.Fatalf("serve --engine %s exited: %v\n%s", p.name, p.err, p.stderr.Tail(10))
	default:
	}
}

// dialAll opens n connections to addr, at most workers dials at a time,
// and returns them with the time the last one connected.
func dialAll(ctx context.Context, addr string, n, workers int) ([]net.Conn, time.Time, error) {
	conns := make([]net.Conn, n)
	errs := make(chan error, workers)
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	d := net.Dialer{Timeout: bound}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				c, err := d.DialContext(ctx, "tcp", addr)
				if err != nil {
					errs <- fmt.Errorf("connection %d: %w", i, err)
					return
				}
				conns[i] = c
			}
		})
	}
	wg.Wait()
	last := time.Now()
	close(errs)
	if err := <-errs; err != nil {
		closeAll(conns)
		return nil, last, err
	}
	return conns, last, nil
}

// closeAll closes every connection that is not nil.
func closeAll(conns []net.Conn) {
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}
