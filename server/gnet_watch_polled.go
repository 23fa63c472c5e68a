//go:build netbsd || openbsd

package server

func newWriteWatch() (writeWatch, error) { return newPollWatch(), nil }
