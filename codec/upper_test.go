package codec

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func TestUpperEveryByteValue(t *testing.T) {
	t.Parallel()
	// Every byte value, at every alignment inside a word, and the tails.
	for off := 0; off < 9; off++ {
		in := make([]byte, off+256)
		for i := range 256 {
			in[off+i] = byte(i)
		}
		got := Upper(bytes.Clone(in))
		for i, c := range in {
			want := c
			if c >= 'a' && c <= 'z' {
				want = c - 32
			}
			if got[i] != want {
				t.Fatalf("offset %d: Upper(%#02x) = %#02x, want %#02x", off, c, got[i], want)
			}
		}
	}
}

func TestUpperTable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"a", "A"},
		{Message, Uppered},
		{"Hello, World! 123", "HELLO, WORLD! 123"},
		{"`az{@AZ[", "`AZ{@AZ["},
		{"ünïcödé ß ﬀ", "üNïCöDé ß ﬀ"}, // only ASCII letters change
		{"\x00\x7f\x80\xe1\xff", "\x00\x7f\x80\xe1\xff"},
	} {
		got := string(Upper([]byte(tc.in)))
		if got != tc.want {
			t.Errorf("Upper(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if len(got) != len(tc.in) {
			t.Errorf("Upper(%q) changed the length: %d -> %d", tc.in, len(tc.in), len(got))
		}
	}
}

func TestUpperInPlace(t *testing.T) {
	t.Parallel()
	b := []byte("in place please")
	out := Upper(b)
	if &out[0] != &b[0] {
		t.Fatal("Upper allocated a new slice; it must work in place")
	}
	if got, want := string(b), "IN PLACE PLEASE"; got != want {
		t.Fatalf("b = %q, want %q", got, want)
	}
}

func FuzzUpper(f *testing.F) {
	f.Add([]byte(Message))
	f.Add([]byte{0, 'a', 0x80, 'z' + 1, 'a' - 1, 0xff, 'q', 'Q', 'm'})
	f.Fuzz(func(t *testing.T, in []byte) {
		want := upperByByte(bytes.Clone(in))
		got := Upper(bytes.Clone(in))
		if !bytes.Equal(got, want) {
			t.Fatalf("Upper(%q) = %q, want %q", in, got, want)
		}
	})
}

func benchInput() []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, MaxRead)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

// BenchmarkUpper compares Upper with the plain loop on 1 KiB blocks of mixed
// bytes in one run; the ratio of their MB/s is the point.
func BenchmarkUpper(b *testing.B) {
	for _, bc := range []struct {
		name string
		fn   func([]byte) []byte
	}{{"word", Upper}, {"byte", upperByByte}} {
		b.Run(bc.name, func(b *testing.B) {
			src := benchInput()
			buf := make([]byte, len(src))
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				copy(buf, src)
				bc.fn(buf)
			}
		})
	}
}
