//go:build !unix

package inputlimit

// openNonblock is 0 where there are no FIFOs to block an open.
const openNonblock = 0
