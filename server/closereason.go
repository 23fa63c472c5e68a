package server

// CloseReason says why a connection was closed.
type CloseReason string

// The reasons a connection closes.
const (
	ClosedPeer    CloseReason = "peer"    // the client closed or shut down its side
	ClosedIdle    CloseReason = "idle"    // no traffic for Config.IdleTimeout
	ClosedBudget  CloseReason = "budget"  // over Config.MaxBuffer
	ClosedDrain   CloseReason = "drain"   // the server stopped
	ClosedError   CloseReason = "error"   // a read or write failed (reset, timeout)
	ClosedRefused CloseReason = "refused" // over Config.MaxConns
)

// closeReasons lists the reasons counted in Stats.Closed, in index order:
// every reason but ClosedRefused, which Stats.Refused counts.
var closeReasons = [...]CloseReason{ClosedPeer, ClosedIdle, ClosedBudget, ClosedDrain, ClosedError}

// CloseReasons returns the reasons Stats.Closed counts, every one a key of
// it from the start: all but ClosedRefused, which Stats.Refused counts.
func CloseReasons() []CloseReason { return append([]CloseReason(nil), closeReasons[:]...) }
