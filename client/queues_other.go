//go:build !linux

package client

import "net"

// socketQueues is unknown here: SIOCINQ and SIOCOUTQ are Linux's, and the
// stall is explained without them.
func socketQueues(net.Conn) (SocketQueues, bool) { return SocketQueues{}, false }
