package load

import (
	"fmt"
	"strconv"
	"strings"
)

// Shard is one of Count parts of a load split over generator processes
// that do not talk to one another, usually on several hosts: the pods of a
// Kubernetes Indexed Job, for example. Shard Index of Count opens its share
// of Config.Conns (Conns/Count, the first Conns%Count shards one more) and
// of Config.ConnectRate. Config.Rate is per connection, so the shards'
// message rates add up to the whole test's. Config.StartAt makes their
// measured windows coincide, and MergeShards adds their results up exactly.
type Shard struct {
	Index int // from 0
	Count int // shards in all; 0 means the run is not sharded
}

// The environment variables ShardFromEnv reads.
const (
	// EnvShardIndex is the shard's index. Kubernetes sets it in every pod
	// of an Indexed Job.
	EnvShardIndex = "JOB_COMPLETION_INDEX"
	// EnvShardCount is the number of shards: the Job's completions.
	EnvShardCount = "UPCASE_GNET_SHARDS"
)

// ParseShard reads "I/N": shard I (from 0) of N.
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Shard{}, fmt.Errorf("load: shard %q: want INDEX/COUNT, such as 0/4", s)
	}
	return newShard(i, n, "shard "+strconv.Quote(s))
}

// ShardFromEnv is the shard that EnvShardIndex and EnvShardCount name, read
// through getenv (os.Getenv). Neither set is no shard; an index without a
// count is an error, so that a pod never runs the whole test by mistake.
func ShardFromEnv(getenv func(string) string) (Shard, error) {
	i, n := getenv(EnvShardIndex), getenv(EnvShardCount)
	switch {
	case i == "" && n == "":
		return Shard{}, nil
	case n == "":
		return Shard{}, fmt.Errorf("load: %s is %q but %s is not set: set it to the number of shards (the Job's completions)", EnvShardIndex, i, EnvShardCount)
	case i == "":
		return Shard{}, fmt.Errorf("load: %s is %q but %s is not set", EnvShardCount, n, EnvShardIndex)
	}
	return newShard(i, n, EnvShardIndex+"="+i+", "+EnvShardCount+"="+n)
}

func newShard(index, count, what string) (Shard, error) {
	i, err1 := strconv.Atoi(strings.TrimSpace(index))
	n, err2 := strconv.Atoi(strings.TrimSpace(count))
	if err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("load: %s: index and count must be whole numbers", what)
	}
	s := Shard{Index: i, Count: n}
	if err := s.validate(); err != nil {
		return Shard{}, fmt.Errorf("load: %s: %w", what, err)
	}
	return s, nil
}

func (s Shard) validate() error {
	if s.Count < 1 || s.Index < 0 || s.Index >= s.Count {
		return fmt.Errorf("want 0 <= index < count, got index %d of %d", s.Index, s.Count)
	}
	return nil
}

// IsZero reports whether s is no shard.
func (s Shard) IsZero() bool { return s == Shard{} }

// String is "I/N", or "" for no shard.
func (s Shard) String() string {
	if s.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// share is this shard's part of n: where it starts and how many.
func (s Shard) share(n int) (first, count int) {
	count = n / s.Count
	first = s.Index*count + min(s.Index, n%s.Count)
	if s.Index < n%s.Count {
		count++
	}
	return first, count
}
