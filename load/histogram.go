package load

import (
	"errors"
	"fmt"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Latency histograms record nanoseconds with three significant digits, from
// 1 ns to an hour; a longer value is recorded as an hour. Every histogram of
// this package has this one geometry, which is what lets merging add
// counts index by index.
const (
	histLowest  = 1
	histHighest = int64(time.Hour)
	histDigits  = 3
)

// newHistogram makes an empty latency histogram.
func newHistogram() *hdr.Histogram { return hdr.New(histLowest, histHighest, histDigits) }

// record adds one latency to h, clamped to the histogram's range.
func record(h *hdr.Histogram, d time.Duration) {
	_ = h.RecordValue(min(max(int64(d), histLowest), histHighest)) // in range: cannot fail
}

// EncodeHistogram is h in HdrHistogram's compressed V2 encoding, base64: the
// form Result.Histogram carries.
func EncodeHistogram(h *hdr.Histogram) (string, error) {
	b, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return "", fmt.Errorf("load: encoding a histogram: %w", err)
	}
	return string(b), nil
}

// DecodeHistogram reads what EncodeHistogram wrote; the empty string is an
// empty histogram.
func DecodeHistogram(s string) (*hdr.Histogram, error) {
	if s == "" {
		return newHistogram(), nil
	}
	h, err := hdr.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("load: decoding a histogram: %w", err)
	}
	return h, nil
}

// errGeometry is returned when histograms that should share this package's
// geometry do not.
var errGeometry = errors.New("load: histograms of different geometry cannot be merged exactly")

// MergeHistograms adds hs together exactly: through their Export snapshots,
// count by count, into a histogram made by Import. All must have this
// package's geometry.
func MergeHistograms(hs ...*hdr.Histogram) (*hdr.Histogram, error) {
	sum := newHistogram().Export()
	for _, h := range hs {
		s := h.Export()
		if s.LowestTrackableValue != sum.LowestTrackableValue ||
			s.HighestTrackableValue != sum.HighestTrackableValue ||
			s.SignificantFigures != sum.SignificantFigures ||
			len(s.Counts) > len(sum.Counts) {
			return nil, errGeometry
		}
		for i, c := range s.Counts {
			sum.Counts[i] += c
		}
	}
	if err := sum.Validate(); err != nil {
		return nil, fmt.Errorf("load: merged histogram: %w", err)
	}
	return hdr.Import(sum), nil
}

// Latency summarises a latency distribution in microseconds.
type Latency struct {
	Mean float64 `json:"mean_us"`
	P50  float64 `json:"p50_us"`
	P90  float64 `json:"p90_us"`
	P99  float64 `json:"p99_us"`
	P999 float64 `json:"p99_9_us"`
	Max  float64 `json:"max_us"`
}

// summarize is h's distribution in microseconds.
func summarize(h *hdr.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	us := func(ns int64) float64 { return float64(ns) / 1e3 }
	return Latency{
		Mean: h.Mean() / 1e3,
		P50:  us(h.ValueAtQuantile(50)),
		P90:  us(h.ValueAtQuantile(90)),
		P99:  us(h.ValueAtQuantile(99)),
		P999: us(h.ValueAtQuantile(99.9)),
		Max:  us(h.Max()),
	}
}
