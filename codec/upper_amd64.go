//go:build !purego

package codec

// upper runs the SSE2 loop of upper_amd64.s on sixteen bytes or more and
// upperSWAR on shorter slices. SSE2 is part of the amd64 baseline, so no CPU
// feature check is needed.
func upper(b []byte) {
	if len(b) >= 16 {
		upperSSE2(b)
		return
	}
	upperSWAR(b)
}

// upperSSE2 uppercases b in place sixteen bytes at a time. It requires
// len(b) >= 16: the last, partial block is done by redoing the final sixteen
// bytes, which is harmless because uppercasing is idempotent.
//
//go:noescape
func upperSSE2(b []byte)
