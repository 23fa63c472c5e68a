package codec

import (
	"encoding/binary"
)

// Word-at-a-time constants: each byte lane of a uint64.
const (
	lanes07 = 0x0101010101010101 // 0x01 in every byte
	lanes80 = 0x8080808080808080 // the high bit of every byte
)

// Upper uppercases b in place, byte-exactly like Python's bytes.upper(): the
// bytes 'a' to 'z' become 'A' to 'Z' and every other byte value, NUL, 0x80 to
// 0xFF and so UTF-8 sequences included, passes through unchanged. The length
// never changes. It returns b for convenience.
//
// bytes.ToUpper is not this: it is Unicode-aware and can change the length.
//
// Upper works eight bytes at a time (SWAR): for each byte lane it computes,
// without carries between lanes, whether the lane holds 'a'..'z', and
// subtracts 0x20 from exactly those lanes.
func Upper(b []byte) []byte {
	n := len(b)
	i := 0
	// Four words per iteration, with no data-dependent branch: mixed input
	// would make such a branch mispredict about half the time.
	for ; i+32 <= n; i += 32 {
		s := b[i : i+32 : i+32]
		w0 := binary.LittleEndian.Uint64(s[0:])
		w1 := binary.LittleEndian.Uint64(s[8:])
		w2 := binary.LittleEndian.Uint64(s[16:])
		w3 := binary.LittleEndian.Uint64(s[24:])
		binary.LittleEndian.PutUint64(s[0:], w0-lowerMask(w0))
		binary.LittleEndian.PutUint64(s[8:], w1-lowerMask(w1))
		binary.LittleEndian.PutUint64(s[16:], w2-lowerMask(w2))
		binary.LittleEndian.PutUint64(s[24:], w3-lowerMask(w3))
	}
	for ; i+8 <= n; i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		binary.LittleEndian.PutUint64(b[i:], w-lowerMask(w))
	}
	for ; i < n; i++ {
		if c := b[i]; c-'a' < 26 {
			b[i] = c - 0x20
		}
	}
	return b
}

// lowerMask returns 0x20 in each byte lane of w that holds an ASCII lowercase
// letter and 0 in every other lane.
//
// With the high bit of every lane cleared (w & 0x7F..), adding a constant of
// at most 0x7F can never carry into the next lane. The sum with 0x80-'a' has
// its high bit set where the lane is >= 'a', the sum with 0x80-'z'-1 where it
// is > 'z'; their XOR keeps 'a'..'z' only, and &^ w drops the lanes whose
// original byte was 0x80 or above.
func lowerMask(w uint64) uint64 {
	x := w & (lanes07 * 0x7f)
	ge := x + lanes07*(0x80-'a')
	gt := x + lanes07*(0x80-'z'-1)
	return ((ge ^ gt) &^ w & lanes80) >> 2 // 0x80 >> 2 == 0x20
}

// upperByByte is the plain byte-at-a-time loop that Upper must match; the
// fuzz test and the benchmark use it as the reference.
func upperByByte(b []byte) []byte {
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
	return b
}
