package codec

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"
)

// implementations lists every implementation of Upper the tests check against
// the plain loop: the exported Upper (SSE2 on amd64, upperSWAR elsewhere) and
// upperSWAR called directly, so the portable code is tested on amd64 too.
var implementations = []struct {
	name string
	fn   func([]byte) []byte
}{
	{"Upper", Upper},
	{"upperSWAR", func(b []byte) []byte { upperSWAR(b); return b }},
}

func TestUpperEveryByteValue(t *testing.T) {
	t.Parallel()
	for _, im := range implementations {
		// Every byte value, at every alignment inside a word, and the tails.
		for off := 0; off < 17; off++ {
			in := make([]byte, off+256)
			for i := range 256 {
				in[off+i] = byte(i)
			}
			got := im.fn(bytes.Clone(in))
			for i, c := range in {
				want := c
				if c >= 'a' && c <= 'z' {
					want = c - 32
				}
				if got[i] != want {
					t.Fatalf("%s, offset %d: %#02x became %#02x, want %#02x", im.name, off, c, got[i], want)
				}
			}
		}
	}
}

func TestUpperTable(t *testing.T) {
	t.Parallel()
	for _, im := range implementations {
		for _, tc := range []struct{ in, want string }{
			{"", ""},
			{"a", "A"},
			{Message, Uppered},
			{"Hello, World! 123", "HELLO, WORLD! 123"},
			{"`az{@AZ[", "`AZ{@AZ["},
			{"ünïcödé ß ﬀ", "üNïCöDé ß ﬀ"}, // only ASCII letters change
			{"\x00\x7f\x80\xe1\xff", "\x00\x7f\x80\xe1\xff"},
			{strings.Repeat("`az{\xe1\xfa", 20), strings.Repeat("`AZ{\xe1\xfa", 20)},
		} {
			got := string(im.fn([]byte(tc.in)))
			if got != tc.want {
				t.Errorf("%s(%q) = %q, want %q", im.name, tc.in, got, tc.want)
			}
			if len(got) != len(tc.in) {
				t.Errorf("%s(%q) changed the length: %d -> %d", im.name, tc.in, len(tc.in), len(got))
			}
		}
	}
}

func TestUpperInPlace(t *testing.T) {
	t.Parallel()
	for _, im := range implementations {
		for _, s := range []string{"in place please", strings.Repeat("in place please ", 5)} {
			b := []byte(s)
			out := im.fn(b)
			if len(out) != len(b) || &out[0] != &b[0] {
				t.Fatalf("%s allocated a new slice; it must work in place", im.name)
			}
			if got, want := string(b), strings.ToUpper(s); got != want {
				t.Fatalf("%s: b = %q, want %q", im.name, got, want)
			}
		}
	}
}

// checkAgainstPlain runs fn on a copy of in placed at the given alignment
// (mod 16, the widest unit any implementation loads) inside a larger buffer
// and compares it with upperByByte. The bytes around the slice are guards set
// to 'q': an implementation that wrote outside its slice would uppercase them.
func checkAgainstPlain(t *testing.T, name string, fn func([]byte) []byte, in []byte, align int) {
	t.Helper()
	const guard = 32
	buf := make([]byte, guard+16+len(in)+guard)
	for i := range buf {
		buf[i] = 'q'
	}
	start := guard + (align-int(uintptr(unsafe.Pointer(&buf[guard]))))&15
	b := buf[start : start+len(in) : start+len(in)]
	copy(b, in)

	want := upperByByte(bytes.Clone(in))
	got := fn(b)
	if !bytes.Equal(got, want) {
		t.Fatalf("%s(%q) at alignment %d = %q, want %q", name, in, align, got, want)
	}
	if unsafe.SliceData(got) != unsafe.SliceData(b) || len(got) != len(in) {
		t.Fatalf("%s(%q) did not return its argument", name, in)
	}
	for i, c := range buf {
		if (i < start || i >= start+len(in)) && c != 'q' {
			t.Fatalf("%s(%q) at alignment %d wrote outside its slice: byte %d of the buffer is %q", name, in, align, i-start, c)
		}
	}
}

// TestUpperLengthsAlignments checks every implementation on every length from
// 0 to 100 at each of the 16 alignments, with random bytes, with lowercase
// letters only and with the bytes around 'a' and 'z'.
func TestUpperLengthsAlignments(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	edges := []byte{'a' - 1, 'a', 'z', 'z' + 1, 'A', 'Z', 0x00, 0x7f, 0x80, 0xe1, 0xfa, 0xff}
	for n := 0; n <= 100; n++ {
		random, letters, edge := make([]byte, n), make([]byte, n), make([]byte, n)
		for i := range n {
			random[i] = byte(r.IntN(256))
			letters[i] = byte('a' + r.IntN(26))
			edge[i] = edges[r.IntN(len(edges))]
		}
		for _, in := range [][]byte{random, letters, edge} {
			for align := range 16 {
				for _, im := range implementations {
					checkAgainstPlain(t, im.name, im.fn, in, align)
				}
			}
		}
	}
}

func fuzzAgainstPlain(f *testing.F, name string, fn func([]byte) []byte) {
	f.Add([]byte(Message), uint8(0))
	f.Add([]byte{0, 'a', 0x80, 'z' + 1, 'a' - 1, 0xff, 'q', 'Q', 'm'}, uint8(3))
	f.Add([]byte(strings.Repeat("`az{\xe1\xfaAZ", 13)), uint8(7))
	f.Fuzz(func(t *testing.T, in []byte, align uint8) {
		checkAgainstPlain(t, name, fn, in, int(align&15))
	})
}

// FuzzUpper checks Upper, the SSE2 code on amd64, against the plain loop.
func FuzzUpper(f *testing.F) { fuzzAgainstPlain(f, "Upper", Upper) }

// FuzzUpperSWAR checks the portable word-at-a-time code against the plain
// loop, on every architecture.
func FuzzUpperSWAR(f *testing.F) {
	fuzzAgainstPlain(f, "upperSWAR", func(b []byte) []byte { upperSWAR(b); return b })
}

func benchInput() []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, MaxRead)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

// benchAgainstPlain runs Upper ("word": SSE2 on amd64), upperSWAR ("swar")
// and the plain loop ("byte") on the same 1 KiB block in one run; the ratio
// of their MB/s is the point. Each iteration copies src first, for all three
// alike, so that every call sees the same bytes and not an already uppercased
// buffer; the copy (about 14 ns here) counts against every ratio.
func benchAgainstPlain(b *testing.B, src []byte) {
	for _, bc := range []struct {
		name string
		fn   func([]byte) []byte
	}{
		{"word", Upper},
		{"swar", func(b []byte) []byte { upperSWAR(b); return b }},
		{"byte", upperByByte},
	} {
		b.Run(bc.name, func(b *testing.B) {
			buf := make([]byte, len(src))
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				copy(buf, src)
				bc.fn(buf)
			}
		})
	}
}

// BenchmarkUpper is on 1 KiB of random bytes: every value, a tenth of them
// lowercase letters, in no pattern a branch predictor can learn.
func BenchmarkUpper(b *testing.B) { benchAgainstPlain(b, benchInput()) }

// BenchmarkUpperMessage is on the client's real data: "capitalize this!"
// repeated to 1 KiB.
func BenchmarkUpperMessage(b *testing.B) {
	benchAgainstPlain(b, []byte(strings.Repeat(Message, MaxRead/len(Message))))
}
