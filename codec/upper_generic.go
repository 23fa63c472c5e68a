//go:build !amd64 || purego

package codec

// upper is upperSWAR where there is no assembly implementation (or with the
// purego build tag).
func upper(b []byte) { upperSWAR(b) }
