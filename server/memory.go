package server

// memoryShare is the part of the machine's (or the cgroup's) memory that
// DefaultMaxMemory gives the connections' buffers: the rest is for the
// kernel's socket buffers, the runtime and everything else on the host.
const memoryShare = 4

// fallbackMemory is assumed when the system does not say how much memory
// it has.
const fallbackMemory = 4 << 30

// DefaultMaxMemory is a quarter of the memory this process may use: the
// machine's, or its cgroup's limit when that is lower.
func DefaultMaxMemory() int64 {
	total := systemMemory()
	if total <= 0 {
		total = fallbackMemory
	}
	// Whole MiB, so that --help shows it plainly.
	return max(total/memoryShare&^(1<<20-1), 1<<20)
}
