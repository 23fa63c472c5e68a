// Package codec holds what every part of upcase-gnet agrees on: the
// address, the read bound, the client's chunk, its message and the
// byte-exact ASCII uppercase that both server engines apply, so that for
// the same bytes in they send the same bytes out.
package codec
