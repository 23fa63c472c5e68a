package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"
)

// SizeHelp is the one sentence every size setting can point to: how ParseSize
// reads one.
const SizeHelp = "a byte count such as 16, 64KiB, 16MiB or 1GiB (KiB, MiB, GiB are powers of 1024; kB, MB, GB powers of 1000)"

// ParseSize reads a byte count as people write one: "16", "64KiB", "16MiB",
// "1GiB", "1.5GiB", "64 MB". go-humanize does the parsing, so the units are
// its units: KiB/Ki, MiB/Mi, GiB/Gi... are powers of 1024 and kB/k, MB/M,
// GB/G... powers of 1000, in any letter case; a fraction of a byte is
// dropped. Negative, empty or unknown sizes, and sizes past an int64, are
// errors that say what was expected.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "-") {
		return 0, fmt.Errorf("invalid size %q: it must not be negative", s)
	}
	n, err := humanize.ParseBytes(t)
	if err != nil {
		if strings.HasPrefix(err.Error(), "too large") {
			return 0, fmt.Errorf("invalid size %q: too large", s)
		}
		return 0, fmt.Errorf("invalid size %q: want %s", s, SizeHelp)
	}
	if n > math.MaxInt64 {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return int64(n), nil
}

// binaryUnits are the units FormatSize writes, largest first.
var binaryUnits = []struct {
	name  string
	bytes int64
}{
	{"EiB", 1 << 60}, {"PiB", 1 << 50}, {"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
}

// FormatSize writes n so that ParseSize reads back exactly n: in the
// largest binary unit that divides it ("64MiB"), else in bytes ("1000"). It
// never rounds, because a flag's default shown in --help must be the value
// in force.
func FormatSize(n int64) string {
	if n > 0 {
		for _, u := range binaryUnits {
			if n%u.bytes == 0 {
				return strconv.FormatInt(n/u.bytes, 10) + u.name
			}
		}
	}
	return strconv.FormatInt(n, 10)
}
