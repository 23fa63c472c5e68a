// Package codec holds what every part of upcase-gnet agrees on: the
// address, the read bound, the client's chunk, its message, how
// it ends its stream (CloseWrite), and the byte-exact ASCII uppercase that both server engines apply, so that for
// the same bytes in they send the same bytes out.
package codec
