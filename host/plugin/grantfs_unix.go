//go:build unix

package plugin

import "syscall"

// openNonblock keeps opening a FIFO from blocking the host call until a
// writer appears; the file is refused right after by its type.
const openNonblock = syscall.O_NONBLOCK
