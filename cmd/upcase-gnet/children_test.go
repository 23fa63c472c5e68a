package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/upcase-gnet/upcase-gnet/codec"
	"github.com/upcase-gnet/upcase-gnet/compare"
	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/load"
)

// TestChildrenListeningAt: ListeningAt reads back what serve prints, and
// nothing else.
func TestChildrenListeningAt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		line, addr, err string
	}{
		{listeningLine("127.0.0.1:40000"), "127.0.0.1:40000", ""},
		{listeningLine("[::1]:1060") + "\r\n", "[::1]:1060", ""},
		{"open 0  accepted 0", "", `its first line is "open 0  accepted 0", want "Listening at ADDR"`},
		{"", "", `its first line is "", want "Listening at ADDR"`},
	} {
		addr, err := children{}.ListeningAt(tc.line)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ListeningAt(%q) = %q, %v; want the error %q", tc.line, addr, err, tc.err)
			}
			continue
		}
		if err != nil || addr != tc.addr {
			t.Errorf("ListeningAt(%q) = %q, %v; want %q", tc.line, addr, err, tc.addr)
		}
	}
}

// TestChildrenLoadArgs checks the load flags each job stands for (the
// stream series saturate, the window series carry the window, the paced
// ones the rate; progress as JSON where the job wants it, else none), and
// that load reads them back into the same job.
func TestChildrenLoadArgs(t *testing.T) {
	t.Parallel()
	base := load.Config{Address: "127.0.0.1:40123", Conns: 10, Duration: 5 * time.Second, Warmup: time.Second, Size: 16}
	for _, tc := range []struct {
		job  func(*load.Config)
		want string // the flags after --size
	}{
		{func(j *load.Config) { j.Mode = load.PingPong }, "--mode pingpong --quiet"},
		{func(j *load.Config) { j.Mode = load.Stream }, "--mode stream --window 0 --quiet"},
		{func(j *load.Config) { j.Mode, j.Window = load.Stream, 65536 }, "--mode stream --window 65536 --quiet"},
		{func(j *load.Config) { j.Mode, j.Rate = load.PingPong, 2.5 }, "--mode pingpong --rate 2.5 --quiet"},
		{func(j *load.Config) { j.Mode, j.Rate = load.PingPong, 1e-9 }, "--mode pingpong --rate 1e-09 --quiet"},
		{func(j *load.Config) { j.Mode, j.SlowBytes, j.Warmup = load.Slow, 8<<20, 0 }, "--mode slow --slow-bytes 8388608 --quiet"},
		{func(j *load.Config) {
			j.Mode, j.SlowBytes, j.Warmup, j.Progress = load.Slow, 8<<20, 0, func(load.Progress) {}
		}, "--mode slow --slow-bytes 8388608 --progress-json"},
	} {
		job := base
		tc.job(&job)
		args := children{}.LoadArgs(job, []string{"--timeout", "3s"})
		got := strings.Join(args, " ")
		prefix := "load --json --allow-errors --host 127.0.0.1 --port 40123 --conns 10 --duration 5s --warmup " + job.Warmup.String() + " --size 16 "
		if want := prefix + tc.want + " --timeout 3s"; got != want {
			t.Errorf("%s: %s\nwant %s", job.Mode, got, want)
			continue
		}
		back := parseLoadArgs(t, args)
		if back.Address != job.Address || back.Mode != job.Mode || back.Conns != job.Conns || back.Duration != job.Duration ||
			back.Warmup != job.Warmup || back.Size != job.Size || back.Window != job.Window || back.Rate != job.Rate ||
			(job.Mode == load.Slow && back.SlowBytes != job.SlowBytes) || back.Timeout != 3*time.Second {
			t.Errorf("%s: load read %s back as %+v", job.Mode, got, back)
		}
	}
}

// parseLoadArgs is the load.Config that load's flags make of args.
func parseLoadArgs(t *testing.T, args []string) load.Config {
	t.Helper()
	cmd := loadCommand()
	var cfg load.Config
	cmd.Action = func(c *cli.Context) error {
		var err error
		cfg, err = loadConfig(c)
		return err
	}
	if err := (&cli.App{Commands: []*cli.Command{cmd}}).Run(append([]string{"upcase-gnet"}, args...)); err != nil {
		t.Fatalf("load %s: %v", strings.Join(args[1:], " "), err)
	}
	return cfg
}

// TestChildrenServeArgs: serve's flags read ServeArgs as the quiet server
// of the engine and host asked for, at a free port, extra flags and all.
func TestChildrenServeArgs(t *testing.T) {
	t.Parallel()
	for _, eng := range engine.All() {
		args := children{}.ServeArgs(eng, "::1", []string{"--read-size", "65536"})
		cmd := serveCommand()
		ran := false
		cmd.Action = func(c *cli.Context) error {
			ran = true
			if c.String("engine") != string(eng) || c.String("host") != "::1" || c.Int("port") != 0 || !c.Bool("quiet") || c.Int("read-size") != 65536 {
				t.Errorf("serve %s: engine %q, host %q, port %d, quiet %v, read size %d", strings.Join(args[1:], " "),
					c.String("engine"), c.String("host"), c.Int("port"), c.Bool("quiet"), c.Int("read-size"))
			}
			return nil
		}
		if err := (&cli.App{Commands: []*cli.Command{cmd}}).Run(append([]string{"upcase-gnet"}, args...)); err != nil || !ran {
			t.Errorf("serve %s: %v, ran %v", strings.Join(args[1:], " "), err, ran)
		}
	}
}

// TestChildrenIgnoreFlagEnvironment runs a comparison while the
// environment holds flags that would move its servers to a unix socket and
// change what it measures: the children must listen and load on TCP,
// unpaced, as compare asks, and their environment must hold none of them.
func TestChildrenIgnoreFlagEnvironment(t *testing.T) {
	t.Setenv("UPCASE_GNET_UNIX", filepath.Join(t.TempDir(), "x.sock"))
	t.Setenv("UPCASE_GNET_LOOPS", "3")
	t.Setenv("UPCASE_GNET_RATE", "1")
	environ, others := children{}.Env(os.Environ()), 0
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, envPrefix) {
			others++
		}
	}
	for _, kv := range environ {
		if strings.HasPrefix(kv, envPrefix) {
			t.Errorf("a child's environment holds %s", kv)
		}
	}
	if len(environ) != others {
		t.Errorf("a child's environment has %d variables, want this one's %d that are not flags", len(environ), others)
	}
	rep, _ := compareTiny(t, 60*time.Second, compare.Config{
		Series:   []compare.Series{{Mode: compare.PingPong, Conns: 1}},
		Duration: 300 * time.Millisecond,
		Warmup:   -1,
	})
	for _, tr := range rep.Trials {
		if tr.Load == nil || !strings.HasPrefix(tr.Load.Target, "tcp "+codec.DefaultHost+":") || tr.Load.Rate != 0 {
			t.Errorf("%s: load %+v, want it unpaced on TCP at %s", tr.Engine, tr.Load, codec.DefaultHost)
		}
	}
}
