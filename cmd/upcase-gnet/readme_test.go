package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/internal/testkit"
)

// The README's command blocks, run as a reader would run them, with small
// sizes and free ports. A block is fenced as sh or bash (a command, run) or
// text (what a command printed, not run); any other fence fails the test, so
// that no command goes unrun unnoticed. A command block that must not run
// here says why on the line before its fence:
//
//	<!-- readme-test: skip, REASON -->

// readmeBlock is one fenced block of the README.
type readmeBlock struct {
	line int    // of the opening fence, from 1
	lang string // sh, bash or text
	body string
	skip string // the reason given in a readme-test skip comment, if any
}

// readmeTestCommand is the README's test command: it must be the command
// CI runs, and it is not run here (it would run this test again).
const readmeTestCommand = "go test -race ./..."

// readmeBuild is the README's build line: the test built the same binary.
const readmeBuild = "go build -o upcase-gnet ./cmd/upcase-gnet"

var skipComment = regexp.MustCompile(`^<!-- readme-test: skip, (.+) -->$`)

// readmeBlocks parses the fenced blocks of the markdown file at path.
func readmeBlocks(path string) ([]readmeBlock, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var blocks []readmeBlock
	var cur *readmeBlock
	prev := ""
	for i, l := range strings.Split(string(b), "\n") {
		switch {
		case cur == nil && strings.HasPrefix(l, "```"):
			cur = &readmeBlock{line: i + 1, lang: strings.TrimPrefix(l, "```")}
			if m := skipComment.FindStringSubmatch(prev); m != nil {
				cur.skip = m[1]
			}
			if cur.lang != "sh" && cur.lang != "bash" && cur.lang != "text" {
				return nil, fmt.Errorf("%s:%d: a block fenced %q: want sh or bash (a command) or text (output)", path, cur.line, cur.lang)
			}
		case cur != nil && l == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.body += l + "\n"
		}
		if strings.TrimSpace(l) != "" {
			prev = strings.TrimSpace(l)
		}
	}
	if cur != nil {
		return nil, fmt.Errorf("%s:%d: a block that is never closed", path, cur.line)
	}
	return blocks, nil
}

// readmeSmall rewrites a block's sizes to small ones, so that the README can
// show the real sizes and the test stays short: connections, durations,
// rounds, MiB counts and how far ahead a start time is (and smallSeries
// the series' sizes).
var readmeSmall = []struct {
	re   *regexp.Regexp
	with func(m []string) string
}{
	{regexp.MustCompile(`--conns (\d+)`), func(m []string) string { return "--conns " + atMost(m[1], 200) }},
	{regexp.MustCompile(`--duration \S+`), func([]string) string { return "--duration 1s" }},
	{regexp.MustCompile(`--warmup \S+`), func([]string) string { return "--warmup 0s" }},
	{regexp.MustCompile(`--repeat \d+`), func([]string) string { return "--repeat 1" }},
	{regexp.MustCompile(`\b(\d+)MiB\b`), func(m []string) string { return atMost(m[1], 1) + "MiB" }},
	{regexp.MustCompile(`'\+\d+ seconds'`), func([]string) string { return "'+4 seconds'" }},
}

// seriesSize is a series' connection count, MODE-N, in a --series list.
var seriesSize = regexp.MustCompile(`-(\d+)\b`)

// smallScript is the block's script with small sizes and the build line
// replaced: the test has built the binary, into the block's directory.
func smallScript(body string) string {
	var lines []string
	for _, l := range strings.Split(body, "\n") {
		if command(l) == readmeBuild {
			l = ": the test built ./upcase-gnet"
		}
		l = smallSeries(l)
		for _, r := range readmeSmall {
			l = r.re.ReplaceAllStringFunc(l, func(s string) string { return r.with(r.re.FindStringSubmatch(s)) })
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

// smallSeries makes each series of a --series list at most 100 connections.
func smallSeries(l string) string {
	i := strings.Index(l, "--series ")
	if i < 0 {
		return l
	}
	rest := l[i+len("--series "):]
	list, after, _ := strings.Cut(rest, " ")
	list = seriesSize.ReplaceAllStringFunc(list, func(s string) string { return "-" + atMost(s[1:], 100) })
	return l[:i] + "--series " + list + " " + after
}

// atMost is the decimal n, or limit when n is larger.
func atMost(n string, limit int) string {
	if v, err := strconv.Atoi(n); err == nil && v > limit {
		return strconv.Itoa(limit)
	}
	return n
}

// command is a script line without its comment and surrounding space.
func command(l string) string {
	if i := strings.Index(l, " #"); i >= 0 {
		l = l[:i]
	}
	return strings.TrimSpace(l)
}

// TestReadmeSmall: the rewrite keeps the commands and shrinks their sizes.
func TestReadmeSmall(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		readmeBuild + "   # built":                                         ": the test built ./upcase-gnet",
		"x load --conns 10000 --warmup 2s --duration 10s":                  "x load --conns 200 --warmup 0s --duration 1s",
		"x load --conns 10 --rate 2":                                       "x load --conns 10 --rate 2",
		"x compare --series pingpong-1000,stream-10,idle-10000 --repeat 3": "x compare --series pingpong-100,stream-10,idle-100 --repeat 1",
		`x client --port "$PORT" 32MiB`:                                    `x client --port "$PORT" 1MiB`,
		`AT=$(date -u -d '+8 seconds' +%Y)`:                                `AT=$(date -u -d '+4 seconds' +%Y)`,
	} {
		if got := smallScript(in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

// TestReadme runs every command block of the README, each in its own
// directory holding the binary as ./upcase-gnet (also on PATH), with
// small sizes (smallScript; compare and load read a short duration from
// their environment where a block leaves it at its default), under bash
// -e with pipefail and a bound, in a process group of its own: the block
// must exit 0 and leave no process behind. The first block's two commands
// are checked apart (testFirstBlock).
func TestReadme(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the blocks use GNU date and Linux's loopback")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash: the blocks are bash")
	}
	t.Parallel()
	blocks, err := readmeBlocks("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) == 0 || blocks[0].lang != "sh" {
		t.Fatal("the README must open with its two commands, in an sh block")
	}
	bin := plainBinary(t)
	for i, b := range blocks {
		if b.lang == "text" {
			continue
		}
		t.Run(fmt.Sprintf("line%d", b.line), func(t *testing.T) {
			switch {
			case b.skip != "":
				t.Skip(b.skip)
			case i == 0:
				testFirstBlock(t, b)
			default:
				t.Parallel()
				runReadmeBlock(t, bin, b)
			}
		})
	}
}

// testFirstBlock: the README opens with the server and the test command.
// The server is run as written, in the repository, on a free port, until
// it says where it listens and serves a client; the test command must be
// the one CI runs.
func testFirstBlock(t *testing.T, b readmeBlock) {
	var cmds []string
	for _, l := range strings.Split(b.body, "\n") {
		if c := command(l); c != "" {
			cmds = append(cmds, c)
		}
	}
	if len(cmds) != 2 || cmds[0] != "go run ./cmd/upcase-gnet serve" || cmds[1] != readmeTestCommand {
		t.Fatalf("the README's first block is %q: this test knows how to run the server and the test command", cmds)
	}
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(readmeTestCommand) + `$`).Match(ci) {
		t.Errorf(".ci/run does not run the README's test command %q", readmeTestCommand)
	}
	t.Parallel()

	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := groupCommand(ctx, root, "bash", "-c", cmds[0]+" --port 0")
	cmd.Env = os.Environ()
	// A pipe of the test's own, read to its end on a goroutine: the
	// server prints a few lines a client, and Wait must not close it.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	stderr := new(testkit.Log)
	cmd.Stdout, cmd.Stderr = w, stderr
	err = cmd.Start()
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	killGroupOnFailure(t, cmd)
	lines := bufio.NewReader(r)
	first, _ := lines.ReadString('\n')
	addr, err := children{}.ListeningAt(strings.TrimSpace(first))
	if err != nil {
		t.Fatalf("%s: %v; stderr:\n%s", cmds[0], err, stderr.Tail(20))
	}
	go func() { _, _ = io.Copy(io.Discard, lines) }()
	_, port, _ := net.SplitHostPort(addr)
	if out, err := exec.CommandContext(ctx, plainBinary(t), "client", "--port", port, "64KiB").CombinedOutput(); err != nil {
		t.Errorf("client against %s: %v\n%s", cmds[0], err, out)
	}
	// The whole group: go run passes no signal on to the server it started.
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	waitGroupGone(t, cmd.Process.Pid)
}

// runReadmeBlock runs one block as a script in a directory of its own.
func runReadmeBlock(t *testing.T, bin string, b readmeBlock) {
	dir := t.TempDir()
	if err := os.Symlink(bin, filepath.Join(dir, "upcase-gnet")); err != nil {
		t.Fatal(err)
	}
	// The final wait ends once every background job has: a block must stop
	// what it starts (a server left running outlives the block in a
	// reader's shell, though here it would die of a closed stdout).
	script := smallScript(b.body) + "wait\n"
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := groupCommand(ctx, dir, "bash", "-e", "-o", "pipefail", "-c", script)
	cmd.Env = append(os.Environ(),
		"PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"TMPDIR="+t.TempDir(), // mktemp -d
		"UPCASE_GNET_DURATION=1s", "UPCASE_GNET_WARMUP=0s",
		"UPCASE_GNET_COMPARE_DURATION=1s", "UPCASE_GNET_COMPARE_WARMUP=0s",
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killGroupOnFailure(t, cmd)
	err := cmd.Wait()
	if ctx.Err() != nil {
		t.Fatalf("README line %d did not end within its bound; as run:\n%s\noutput:\n%s", b.line, script, out.String())
	}
	if err != nil {
		t.Fatalf("README line %d: %v; as run:\n%s\noutput:\n%s", b.line, err, script, out.String())
	}
	waitGroupGone(t, cmd.Process.Pid)
}

// groupCommand is a command in dir, in a process group of its own, which
// the context's end kills as a whole.
func groupCommand(ctx context.Context, dir, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	return cmd
}

// killGroupOnFailure kills what is left of a started command's group when
// the test fails, so that a failing block leaves no server behind.
func killGroupOnFailure(t *testing.T, cmd *exec.Cmd) {
	t.Cleanup(func() {
		if t.Failed() {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	})
}

// waitGroupGone waits for every process of the group to end: a server left
// running is what a block must not do (it drains for at most 5 s after
// SIGTERM).
func waitGroupGone(t *testing.T, pgid int) {
	t.Helper()
	if !testkit.Poll(15*time.Second, func() bool { return errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH) }) {
		t.Errorf("processes of the block still running 15 s after it ended")
	}
}
