//go:build linux

package compare

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// sock_diag (linux/inet_diag.h, linux/sock_diag.h): what serverSockets asks
// the kernel for and how it answers.
const (
	inetDiagReqBytecode = 1  // INET_DIAG_REQ_BYTECODE
	inetDiagSkmeminfo   = 7  // INET_DIAG_SKMEMINFO
	inetDiagBCSEq       = 11 // INET_DIAG_BC_S_EQ
	tcpTimeWait         = 6  // TCP_TIME_WAIT
	inetDiagMsgLen      = 72 // sizeof(struct inet_diag_msg)
	nlmsgHdrLen         = 16 // sizeof(struct nlmsghdr)
)

// serverSockets is the count of the TCP sockets (IPv4 and IPv6, TIME_WAIT
// left out) whose local port is port, the server's listening and accepted
// sockets, and the buffer memory the kernel has charged them: what `ss -tm`
// shows as skmem, received and queued bytes with their overhead plus the
// forward allocation (rmem_alloc + wmem_queued + fwd_alloc + optmem). The
// kernel filters by port, so the other sockets of a busy machine cost
// nothing.
func serverSockets(port uint16) (n int64, mem int64, err error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return 0, 0, fmt.Errorf("compare: sock_diag: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return 0, 0, fmt.Errorf("compare: sock_diag: %w", err)
	}
	for seq, family := range []uint8{unix.AF_INET, unix.AF_INET6} {
		dn, dmem, err := diagDump(fd, uint32(seq+1), family, port)
		if err != nil {
			return 0, 0, err
		}
		n, mem = n+dn, mem+dmem
	}
	return n, mem, nil
}

// diagDump asks for one family's sockets of local port port and sums them.
func diagDump(fd int, seq uint32, family uint8, port uint16) (n int64, mem int64, err error) {
	if err := unix.Sendto(fd, diagRequest(seq, family, port), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return 0, 0, fmt.Errorf("compare: sock_diag request: %w", err)
	}
	buf := make([]byte, 1<<16)
	for {
		got, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return 0, 0, fmt.Errorf("compare: sock_diag answer: %w", err)
		}
		for b := buf[:got]; len(b) >= nlmsgHdrLen; {
			size := int(binary.NativeEndian.Uint32(b[0:4]))
			typ := binary.NativeEndian.Uint16(b[4:6])
			if size < nlmsgHdrLen || size > len(b) {
				return 0, 0, errors.New("compare: sock_diag answer: malformed message")
			}
			msgSeq := binary.NativeEndian.Uint32(b[8:12])
			msg := b[nlmsgHdrLen:size]
			b = b[min(align4(size), len(b)):]
			if msgSeq != seq {
				continue // an answer to an earlier request
			}
			switch typ {
			case unix.NLMSG_DONE:
				return n, mem, nil
			case unix.NLMSG_ERROR:
				if len(msg) >= 4 {
					if errno := int32(binary.NativeEndian.Uint32(msg[0:4])); errno != 0 {
						return 0, 0, fmt.Errorf("compare: sock_diag: %w", unix.Errno(-errno))
					}
				}
				return n, mem, nil
			case unix.SOCK_DIAG_BY_FAMILY:
				if m, ok := socketMem(msg, port); ok {
					n++
					mem += m
				}
			}
		}
	}
}

// diagRequest is a dump request for family's TCP sockets of local port
// port, with their memory: a netlink header, an inet_diag_req_v2 and a
// bytecode filter "local port equals port".
func diagRequest(seq uint32, family uint8, port uint16) []byte {
	const reqLen = 56   // sizeof(struct inet_diag_req_v2)
	const filterLen = 8 // two inet_diag_bc_op
	total := nlmsgHdrLen + reqLen + 4 + filterLen
	b := make([]byte, total)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(total))
	ne.PutUint16(b[4:], unix.SOCK_DIAG_BY_FAMILY)
	ne.PutUint16(b[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	ne.PutUint32(b[8:], seq)
	r := b[nlmsgHdrLen:]
	r[0], r[1], r[2] = family, unix.IPPROTO_TCP, 1<<(inetDiagSkmeminfo-1)
	ne.PutUint32(r[4:], ^uint32(1<<tcpTimeWait)) // every state but TIME_WAIT
	a := r[reqLen:]
	ne.PutUint16(a[0:], 4+filterLen)
	ne.PutUint16(a[2:], inetDiagReqBytecode)
	// S_EQ: on a match jump to the end (keep), else one op past it (drop);
	// the next op's "no" holds the port.
	op := a[4:]
	op[0], op[1] = inetDiagBCSEq, filterLen
	ne.PutUint16(op[2:], filterLen+4)
	ne.PutUint16(op[6:], port)
	return b
}

// socketMem is the charged memory of one inet_diag_msg, if its local port
// is port (the kernel's filter already saw to it; checked again).
func socketMem(msg []byte, port uint16) (int64, bool) {
	if len(msg) < inetDiagMsgLen || binary.BigEndian.Uint16(msg[4:6]) != port {
		return 0, false
	}
	var mem int64
	for a := msg[inetDiagMsgLen:]; len(a) >= 4; {
		size := int(binary.NativeEndian.Uint16(a[0:2]))
		typ := binary.NativeEndian.Uint16(a[2:4])
		if size < 4 || size > len(a) {
			break
		}
		if typ == inetDiagSkmeminfo && size >= 4+4*(unix.SK_MEMINFO_OPTMEM+1) {
			v := func(i int) int64 { return int64(binary.NativeEndian.Uint32(a[4+4*i:])) }
			mem = v(unix.SK_MEMINFO_RMEM_ALLOC) + v(unix.SK_MEMINFO_WMEM_QUEUED) + v(unix.SK_MEMINFO_FWD_ALLOC) + v(unix.SK_MEMINFO_OPTMEM)
		}
		a = a[min(align4(size), len(a)):]
	}
	return mem, true
}

func align4(n int) int { return (n + 3) &^ 3 }
