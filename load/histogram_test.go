package load

import (
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// TestMergeHistograms checks that merging two workers' histograms gives the
// histogram of all their values together, exactly, through the encoding the
// workers send.
func TestMergeHistograms(t *testing.T) {
	t.Parallel()
	a, b, union := newHistogram(), newHistogram(), newHistogram()
	for i := range int64(20000) {
		v := time.Duration(1000 + i*i%9_999_991) // 1 µs to 10 ms, spread
		h := a
		if i%3 == 0 {
			h = b
		}
		record(h, v)
		record(union, v)
	}
	record(b, 2*time.Hour) // clamped to the top of the range, in both
	record(union, 2*time.Hour)

	var wire []*hdr.Histogram
	for _, h := range []*hdr.Histogram{a, b} {
		s, err := EncodeHistogram(h)
		if err != nil {
			t.Fatal(err)
		}
		d, err := DecodeHistogram(s)
		if err != nil {
			t.Fatal(err)
		}
		wire = append(wire, d)
	}
	merged, err := MergeHistograms(wire...)
	if err != nil {
		t.Fatal(err)
	}
	if !merged.Equals(union) {
		t.Errorf("merged histogram differs from the union: count %d vs %d, p99 %d vs %d",
			merged.TotalCount(), union.TotalCount(), merged.ValueAtQuantile(99), union.ValueAtQuantile(99))
	}
	if _, err := MergeHistograms(a, hdr.New(1, 1000, 2)); err == nil {
		t.Error("merging histograms of different geometry succeeded")
	}
}
