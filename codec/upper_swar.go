package codec

import "encoding/binary"

// Word-at-a-time constants: each byte lane of a uint64.
const (
	lanes01 = 0x0101010101010101 // 0x01 in every byte
	lanes7F = 0x7F7F7F7F7F7F7F7F // the low seven bits of every byte
	lanes80 = 0x8080808080808080 // the high bit of every byte
)

// upperSWAR is the portable implementation: eight bytes at a time (SWAR),
// computing for each byte lane, without carries between lanes, whether the
// lane holds 'a'..'z', and subtracting 0x20 from exactly those lanes. It is
// what Upper runs where there is no assembly, and the tests call it directly
// so that it is checked on every architecture.
//
// On amd64 it runs at about 3x the plain loop. Tighter variants (masks folded
// with OR, eight words per iteration, constants kept in memory, an unsafe
// pointer walk) reached at most about 3.5x in plain Go; the SSE2 code there
// (upper_amd64.s) goes further, as BenchmarkUpper shows beside the other two.
func upperSWAR(b []byte) {
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
	x := w & lanes7F
	ge := x + lanes01*(0x80-'a')
	gt := x + lanes01*(0x80-'z'-1)
	return ((ge ^ gt) &^ w & lanes80) >> 2 // 0x80 >> 2 == 0x20
}
