package testregistry

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the registry die with the test binary, even when the
// binary is killed before its cleanups run.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
