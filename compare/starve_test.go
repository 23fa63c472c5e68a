package compare

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/upcase-gnet/upcase-gnet/engine"
	"github.com/upcase-gnet/upcase-gnet/load"
)

// TestStarveJobs: the heavy senders send SlowBytes and report their
// progress, for long enough to outlast the intake and the phase after it;
// the light client is one pingpong connection, warmed up over StarveLead
// over the intake and over the warm-up after it, measured for Duration in
// each.
func TestStarveJobs(t *testing.T) {
	t.Parallel()
	cfg := &Config{Duration: 4 * time.Second, Warmup: time.Second, Size: 16}
	heavy, intake, after := starveJobs(Series{Starve, 300}, cfg, "127.0.0.1:1")
	if heavy.Address != "127.0.0.1:1" || heavy.Mode != load.Slow || heavy.Conns != 300 || heavy.SlowBytes != SlowBytes ||
		heavy.Warmup != 0 || heavy.Size != 16 || heavy.Progress == nil {
		t.Errorf("heavy: %+v", heavy)
	}
	if min := StarveLead + starveIntakeLimit + cfg.Warmup + cfg.Duration; heavy.Duration < min {
		t.Errorf("heavy senders run %v, want at least %v", heavy.Duration, min)
	}
	for _, tc := range []struct {
		name   string
		job    load.Config
		warmup time.Duration
	}{{"intake", intake, StarveLead}, {"after", after, time.Second}} {
		j := tc.job
		if j.Address != "127.0.0.1:1" || j.Mode != load.PingPong || j.Conns != 1 || j.Warmup != tc.warmup ||
			j.Duration != 4*time.Second || j.Size != 16 || j.Rate != 0 || j.Progress != nil {
			t.Errorf("%s: %+v", tc.name, j)
		}
	}
}

// progressAt is a heavy senders' progress line: phase, time in it, bytes
// written and connections complete, of 3 connected.
func progressAt(ph load.Phase, elapsed time.Duration, written uint64, complete int) load.Progress {
	return load.Progress{Phase: ph, Conns: 3, Connected: 3, Elapsed: elapsed, SlowWritten: written, SlowComplete: complete}
}

// TestIntakeWatch feeds the watch, with a stall of 500 ms, the lines of
// three kinds of intake: one that ends with every byte sent, one whose
// senders get stuck, and one cut short by the senders' run ending.
func TestIntakeWatch(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	for _, tc := range []struct {
		name  string
		lines []load.Progress
		want  *IntakeEnd // at the last line, none before
		// traffic is the index of the first line where traffic has started.
		traffic int
	}{
		{
			name: "all sent",
			lines: []load.Progress{
				progressAt(load.PhaseConnect, 0, 0, 0),
				progressAt(load.PhaseWarmup, 0, 64<<10, 0),
				progressAt(load.PhaseRun, 200*ms, 8<<20, 0),
				progressAt(load.PhaseRun, 400*ms, 16<<20, 1),
				progressAt(load.PhaseRun, 600*ms, 24<<20, 3),
			},
			traffic: 1,
			want:    &IntakeEnd{At: 600 * ms, By: IntakeAllSent, Seen: 600 * ms},
		},
		{
			name: "stuck",
			lines: []load.Progress{
				progressAt(load.PhaseConnect, 0, 0, 0),
				progressAt(load.PhaseRun, 100*ms, 1<<20, 0),
				progressAt(load.PhaseRun, 300*ms, 8<<20, 0),
				progressAt(load.PhaseRun, 500*ms, 8<<20, 0), // a pause shorter than the stall
				progressAt(load.PhaseRun, 700*ms, 9<<20, 0),
				progressAt(load.PhaseRun, 900*ms, 9<<20, 0),
				progressAt(load.PhaseRun, 1100*ms, 9<<20, 0),
				progressAt(load.PhaseRun, 1200*ms, 9<<20, 0),
			},
			traffic: 1,
			want:    &IntakeEnd{At: 700 * ms, By: IntakeStuck, Seen: 1200 * ms},
		},
		{
			name: "senders done",
			lines: []load.Progress{
				progressAt(load.PhaseRun, 100*ms, 1<<20, 0),
				progressAt(load.PhaseRun, 300*ms, 2<<20, 0),
				progressAt(load.PhaseDrain, 10*ms, 2<<20, 0),
			},
			traffic: 0,
			want:    &IntakeEnd{At: 300 * ms, By: IntakeSendersDone, Seen: 300 * ms},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := &intakeWatch{stall: 500 * ms}
			for i, p := range tc.lines {
				traffic, end := w.see(p)
				if traffic != (i >= tc.traffic) {
					t.Errorf("line %d (%+v): traffic %v", i, p, traffic)
				}
				last := i == len(tc.lines)-1
				switch {
				case !last && end != nil:
					t.Fatalf("line %d (%+v): ended early: %+v", i, p, *end)
				case last && (end == nil || *end != *tc.want):
					t.Fatalf("last line: end %v, want %+v", end, *tc.want)
				}
			}
			// Seen over once: later lines report no end again.
			if _, end := w.see(progressAt(load.PhaseRun, time.Hour, 1<<30, 3)); end != nil {
				t.Errorf("a second end: %+v", *end)
			}
		})
	}
}

// TestAwaitIntakeEnd: the light client's intake load ending first does not
// end the wait; the heavy senders' load ending does, unless its last line
// ended the intake.
func TestAwaitIntakeEnd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	closed := make(chan struct{})
	close(closed)

	ended := make(chan IntakeEnd, 1)
	intakeDone := make(chan struct{})
	close(intakeDone)
	go func() { ended <- IntakeEnd{At: time.Second, By: IntakeStuck} }()
	end, err := awaitIntakeEnd(ctx, ended, nil, intakeDone)
	if err != nil || end == nil || end.By != IntakeStuck {
		t.Errorf("after the light client's window: %v, %v", end, err)
	}

	ended <- IntakeEnd{By: IntakeSendersDone}
	if end, err := awaitIntakeEnd(ctx, ended, closed, nil); err != nil || end == nil || end.By != IntakeSendersDone {
		t.Errorf("heavy senders done with an end: %v, %v", end, err)
	}
	if end, err := awaitIntakeEnd(ctx, make(chan IntakeEnd), closed, nil); err == nil || end != nil {
		t.Errorf("heavy senders done without an end: %v, %v", end, err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := awaitIntakeEnd(cancelled, make(chan IntakeEnd), nil, nil); err == nil {
		t.Error("a cancelled wait went on")
	}
}

// TestProgressWriter: progress lines, however the child's writes cut them,
// go to the hook; every other line goes on to the rest, whole.
func TestProgressWriter(t *testing.T) {
	t.Parallel()
	var got []load.Progress
	var rest strings.Builder
	w := &progressWriter{rest: &rest, progress: func(p load.Progress) { got = append(got, p) }}
	out := `{"phase":"connect","conns":3,"connected":1,"failed":0,"messages":0,"elapsed_ns":1000,"total_ns":0}
load: a warning
{"phase":"run","conns":3,"connected":3,"failed":0,"messages":0,"elapsed_ns":2000,"total_ns":0,"slow_written_bytes":4096,"slow_complete_conns":1}
{"not":"progress"}
load: interrupted`
	for i := 0; i < len(out); i += 7 {
		if _, err := w.Write([]byte(out[i:min(i+7, len(out))])); err != nil {
			t.Fatal(err)
		}
	}
	w.flush()
	if len(got) != 2 || got[0].Phase != load.PhaseConnect || got[0].Connected != 1 ||
		got[1].Phase != load.PhaseRun || got[1].SlowWritten != 4096 || got[1].SlowComplete != 1 || got[1].Elapsed != 2*time.Microsecond {
		t.Errorf("progress %+v", got)
	}
	if want := "load: a warning\n{\"not\":\"progress\"}\nload: interrupted"; rest.String() != want {
		t.Errorf("rest %q, want %q", rest.String(), want)
	}
}

// starveTrial is a starve series' run: its light client over the intake
// and after it, and its heavy senders.
func starveTrial(eng engine.Name, round int, intakeMsgsPerS, afterMsgsPerS float64) Trial {
	s := Series{Starve, 3}
	tr := trial(s, eng, round, afterMsgsPerS, uint64(afterMsgsPerS), 10<<20, 11<<20, time.Second)
	tr.Load.Conns, tr.Load.Connected, tr.Load.Duration = 1, 1, time.Second
	tr.Load.Latency.Max = 900
	tr.Intake = &load.Result{
		Mode: "pingpong", Conns: 1, Connected: 1, Duration: 2 * time.Second,
		Messages: uint64(2 * intakeMsgsPerS), MessagesPerS: intakeMsgsPerS,
		Latency: load.Latency{P50: 1000, P99: 9000, Max: 20000},
		Errors:  map[string]uint64{"timeout": 1},
	}
	tr.Beside = &load.Result{Mode: "slow", Conns: 3, Connected: 3, Errors: map[string]uint64{},
		Slow: &load.SlowResult{SendBytes: 8 << 20, TakenBytes: 3 * 8 << 20, Complete: 3}}
	tr.IntakeEnd = &IntakeEnd{At: 2500 * time.Millisecond, By: IntakeAllSent, Seen: 2600 * time.Millisecond}
	return tr
}

// TestStarveRows: a starve series has a row a phase for each of the light
// client's figures, with both engines and their ratio, and the intake's
// length; the server held the heavy senders and the light client after.
func TestStarveRows(t *testing.T) {
	t.Parallel()
	trials := []Trial{starveTrial("gnet", 1, 500, 40_000), starveTrial("goroutine", 1, 25_000, 50_000)}
	m := measure(&trials[0])
	for key, want := range map[string]float64{
		keyIntakeMsgs: 500, keyIntakeP50: 1000, keyIntakeP99: 9000, keyIntakeMax: 20000, keyIntakeTime: 2,
		keyAfterMsgs: 40_000, keyAfterP50: 100, keyAfterP99: 400, keyAfterMax: 900, keyIntakeEnd: 2.5,
		keyConnected: 4, keySlowTaken: 8 << 10, keyErrors: 1,
	} {
		if got := m[key]; !got.ok || math.Abs(got.v-want) > 1e-9 {
			t.Errorf("%s = %v (ok %v), want %v", key, got.v, got.ok, want)
		}
	}
	sum := Summarize(trials, engine.All())[0]
	var keys []string
	for _, r := range sum.Rows {
		keys = append(keys, r.Metric)
	}
	want := "intake_messages_per_s,intake_latency_p50_us,intake_latency_p99_us,intake_latency_max_us,intake_measured_s," +
		"after_messages_per_s,after_latency_p50_us,after_latency_p99_us,after_latency_max_us,intake_end_s,connected," +
		"server_rss_peak_mib,server_rss_per_conn_kib,kernel_tcp_per_conn_kib,kernel_slab_per_conn_kib,total_per_conn_kib," +
		"slow_taken_per_conn_kib,errors"
	if got := strings.Join(keys, ","); got != want {
		t.Errorf("rows %s\nwant %s", got, want)
	}
	for key, ratio := range map[string]float64{keyIntakeMsgs: 0.02, keyAfterMsgs: 0.8} {
		if r := findRow(t, sum, key); r.Ratio == nil || math.Abs(*r.Ratio-ratio) > 1e-9 {
			t.Errorf("%s ratio %v, want %v", key, r.Ratio, ratio)
		}
	}

	// A light client stopped before its intake window opened measured no
	// time: the phase is not measured, not measured as nothing.
	trials[0].Intake.Duration, trials[0].Intake.Messages, trials[0].Intake.MessagesPerS = 0, 0, 0
	m = measure(&trials[0])
	for _, key := range []string{keyIntakeMsgs, keyIntakeP99} {
		if m[key].ok {
			t.Errorf("%s measured over no time: %v", key, m[key].v)
		}
	}
	trials[0].Intake = nil
	if row := findRow(t, Summarize(trials, engine.All())[0], keyIntakeMsgs); row.Ratio != nil || len(row.Median) != 1 {
		t.Errorf("intake unmeasured on gnet: %+v", row)
	}
}

// TestStarveOverlapSaid: a starve run whose heavy senders wrote again after
// their intake was seen over keeps its figures, and the table says which
// run's phases overlap and why.
func TestStarveOverlapSaid(t *testing.T) {
	t.Parallel()
	trials := []Trial{starveTrial("gnet", 1, 500, 40_000), starveTrial("goroutine", 1, 25_000, 50_000)}
	trials[0].IntakeEnd.WroteAgain = 9 * time.Second
	rep := &Report{
		Settings: Settings{Engines: engine.All(), Series: []Series{trials[0].Series}, Repeat: 1, StarveStall: StarveStall},
		Trials:   trials,
		Summary:  Summarize(trials, engine.All()),
	}
	var b strings.Builder
	if err := WriteTable(&b, rep); err != nil {
		t.Fatal(err)
	}
	want := "starve-3 on gnet, round 1: the heavy senders wrote again at 9.0s, after their intake was seen over at 2.6s"
	if !strings.Contains(b.String(), want) || strings.Contains(b.String(), "on goroutine, round 1: the heavy") {
		t.Errorf("table:\n%s\nwant a line %q for gnet only", b.String(), want)
	}
	if row := findRow(t, rep.Summary[0], keyAfterMsgs); row.Median["gnet"] != 40_000 {
		t.Errorf("after phase on gnet %v, want its figure kept", row.Median)
	}
}
