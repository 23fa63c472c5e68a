package config

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"16", 16},
		{"1000", 1000},
		{"64KiB", 64 << 10},
		{"16MiB", 16 << 20},
		{"64MiB", 64 << 20},
		{"1GiB", 1 << 30},
		{"1gib", 1 << 30},
		{"1Gi", 1 << 30},
		{"1.5GiB", 3 << 29},
		{"64 MiB", 64 << 20},
		{" 16 ", 16},
		{"64MB", 64e6},
		{"64M", 64e6},
		{"1kB", 1000},
		{"16B", 16},
		{"1,024", 1024},
		{"8EiB", 0}, // 2^63: one past int64, so an error below
		{"7EiB", 7 << 60},
		{"9223372036854775807", math.MaxInt64},
	} {
		got, err := ParseSize(tc.in)
		if tc.in == "8EiB" {
			if err == nil {
				t.Errorf("ParseSize(%q) = %d; want too large", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestParseSizeRejects(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, says string }{
		{"-1", "negative"},
		{"-64MiB", "negative"},
		{" -5", "negative"},
		{"", "want a byte count"},
		{"abc", "want a byte count"},
		{"MiB", "want a byte count"},
		{"16 parsecs", "want a byte count"},
		{"1e3", "want a byte count"},
		{"0x10", "want a byte count"},
		{"99999999999999999999", "too large"},
		{"20EiB", "too large"},
	} {
		got, err := ParseSize(tc.in)
		if err == nil {
			t.Errorf("ParseSize(%q) = %d; want an error", tc.in, got)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, tc.says) || !strings.Contains(msg, strconv.Quote(tc.in)) {
			t.Errorf("ParseSize(%q): %q; want it to quote the input and say %q", tc.in, msg, tc.says)
		}
	}
}

func TestFormatSize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   int64
		want string
	}{
		{0, "0"},
		{16, "16"},
		{1000, "1000"},
		{1024, "1KiB"},
		{1536, "1536"},
		{64 << 20, "64MiB"},
		{1 << 30, "1GiB"},
		{3 << 29, "1536MiB"},
		{math.MaxInt64, "9223372036854775807"},
	} {
		if got := FormatSize(tc.in); got != tc.want {
			t.Errorf("FormatSize(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzParseSize: ParseSize never panics, never returns a negative size, and
// what it accepts survives FormatSize and ParseSize again unchanged.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"0", "16", "64KiB", "16MiB", "1GiB", "1.5GiB", "64 MB", "-1", "1,024", "8EiB", "١٦", "abc", ".5k"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			if n != 0 {
				t.Errorf("ParseSize(%q) = %d with an error", s, n)
			}
			return
		}
		if n < 0 {
			t.Fatalf("ParseSize(%q) = %d, negative", s, n)
		}
		text := FormatSize(n)
		back, err := ParseSize(text)
		if err != nil || back != n {
			t.Fatalf("ParseSize(%q) = %d, formatted %q, parsed back %d, %v", s, n, text, back, err)
		}
	})
}
