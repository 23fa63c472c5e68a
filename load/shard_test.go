package load

import (
	"strings"
	"testing"
)

func TestParseShard(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want Shard
		err  string
	}{
		{"0/4", Shard{0, 4}, ""},
		{" 3/4 ", Shard{3, 4}, ""},
		{"0/1", Shard{0, 1}, ""},
		{"4/4", Shard{}, "0 <= index < count"},
		{"-1/4", Shard{}, "0 <= index < count"},
		{"0/0", Shard{}, "0 <= index < count"},
		{"1", Shard{}, "INDEX/COUNT"},
		{"a/4", Shard{}, "whole numbers"},
	} {
		got, err := ParseShard(tc.in)
		if tc.err == "" && (err != nil || got != tc.want) {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("ParseShard(%q) error %v, want one about %q", tc.in, err, tc.err)
		}
	}
}

func TestShardFromEnv(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		index, count string
		want         Shard
		err          string
	}{
		{"", "", Shard{}, ""},
		{"2", "4", Shard{2, 4}, ""},
		{"2", "", Shard{}, EnvShardCount + " is not set"},
		{"", "4", Shard{}, EnvShardIndex + " is not set"},
		{"4", "4", Shard{}, "0 <= index < count"},
	} {
		env := map[string]string{EnvShardIndex: tc.index, EnvShardCount: tc.count}
		got, err := ShardFromEnv(func(k string) string { return env[k] })
		if tc.err == "" && (err != nil || got != tc.want) {
			t.Errorf("%q/%q: %v, %v; want %v", tc.index, tc.count, got, err, tc.want)
		}
		if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%q/%q: error %v, want one about %q", tc.index, tc.count, err, tc.err)
		}
	}
}

// TestShardShares: the shards' shares of every total are contiguous, differ
// by at most one and add up to the total.
func TestShardShares(t *testing.T) {
	t.Parallel()
	for _, total := range []int{4, 5, 7, 100, 100001} {
		for _, n := range []int{1, 2, 3, 4} {
			next, least, most := 0, total, 0
			for i := range n {
				first, count := Shard{i, n}.share(total)
				if first != next {
					t.Fatalf("%d over %d: shard %d starts at %d, want %d", total, n, i, first, next)
				}
				next += count
				least, most = min(least, count), max(most, count)
			}
			if next != total || most-least > 1 {
				t.Errorf("%d over %d: shares add to %d, from %d to %d", total, n, next, least, most)
			}
		}
	}
}
