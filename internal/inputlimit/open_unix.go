//go:build unix

package inputlimit

import "syscall"

// openNonblock keeps opening a FIFO from blocking until a writer appears;
// the file is refused right after by its type.
const openNonblock = syscall.O_NONBLOCK
