//go:build !linux

package compare

import "errors"

// readKernel is not available beyond Linux: the kernel's socket memory is
// reported as not measured.
func readKernel(port uint16) (KernelSample, error) {
	return KernelSample{}, errors.New("compare: kernel socket memory is read from /proc/net/sockstat, on Linux alone")
}
