package codec

// Upper uppercases b in place, byte-exactly like Python's bytes.upper(): the
// bytes 'a' to 'z' become 'A' to 'Z' and every other byte value, NUL, 0x80 to
// 0xFF and so UTF-8 sequences included, passes through unchanged. The length
// never changes. It returns b for convenience.
//
// bytes.ToUpper is not this: it is Unicode-aware and can change the length.
//
// On amd64 Upper works sixteen bytes at a time with SSE2 (upper_amd64.s);
// elsewhere, and for fewer than sixteen bytes, it uses upperSWAR, eight bytes
// at a time in plain Go.
func Upper(b []byte) []byte {
	upper(b)
	return b
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
