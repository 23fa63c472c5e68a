package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/compare"
	"github.com/upcase-gnet/upcase-gnet/engine"
)

// remoteRef is an attribute or style that would load something from
// elsewhere when the page is viewed.
var remoteRef = regexp.MustCompile(`(?i)\b(src|href|xlink:href|action)\s*=\s*["']?\s*(https?:|//)|url\(|@import`)

// TestCompareWritesReport runs compare --out on a tiny series, as a user
// would, and checks report.html: written beside the other files, loading
// nothing from elsewhere, with the series' timeline for each engine, and
// results.json with each run's timeline.
func TestCompareWritesReport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := plainBinary(t) // before the clock starts: a cold build is slow
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "compare", "--series", "pingpong-2",
		"--duration", "700ms", "--warmup", "300ms", "--out", dir, "-q")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("compare: %v\n%s", err, out)
	}
	for _, name := range []string{"results.json", "table.txt", "chart.png", "chart.svg", "report.html"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v, %v", name, fi, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	if m := remoteRef.FindString(page); m != "" {
		t.Errorf("report.html would load %q from elsewhere", m)
	}
	_, section, ok := strings.Cut(page, `<section id="pingpong-2">`)
	section, _, _ = strings.Cut(section, "</section>")
	if !ok {
		t.Fatalf("report.html has no section for pingpong-2:\n%s", page)
	}
	for i, e := range engine.All() {
		for _, want := range []string{string(e) + ": measured client", string(e) + ": measured time"} {
			if !strings.Contains(section, want) {
				t.Errorf("pingpong-2's timeline has no %q", want)
			}
		}
		if !regexp.MustCompile(`class="(line|mark) e` + string(rune('0'+i)) + `"`).MatchString(section) {
			t.Errorf("pingpong-2's timeline draws nothing of %s", e)
		}
	}

	b, err = os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep compare.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	for _, tr := range rep.Trials {
		tl := tr.Timeline
		if len(tl.Client) == 0 || (sampled && len(tl.Server) == 0) {
			t.Errorf("%s: timeline of %d client and %d server seconds", tr.Engine, len(tl.Client), len(tl.Server))
		}
		sending := false
		for _, c := range tl.Client {
			if c.Connected > 2 || c.MessagesPerS < 0 {
				t.Errorf("%s: client second %+v, of 2 connections", tr.Engine, c)
			}
			sending = sending || c.Connected == 2 && c.MessagesPerS > 0
		}
		if !sending {
			t.Errorf("%s: no second of the client's timeline has its 2 connections sending: %+v", tr.Engine, tl.Client)
		}
	}
}
