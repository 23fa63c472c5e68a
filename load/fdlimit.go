package load

import "syscall"

// fdReserve is the descriptors a process keeps for what is not a
// connection: pollers, event fds, pipes, the binary, standard streams.
const fdReserve = 256

// ConnsPerProcess is how many connections one process can hold within its
// open-file limit, leaving room for dialsInFlight dials in flight (the gnet
// generator holds two descriptors of a connection while it takes it over).
func ConnsPerProcess(dialsInFlight int) int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<24 {
		return 1 << 20
	}
	return max(int(rl.Cur)-fdReserve-2*dialsInFlight, 1)
}
