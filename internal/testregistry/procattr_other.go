//go:build !linux

package testregistry

import "os/exec"

// dieWithParent does nothing where the OS cannot tie a child to its parent.
func dieWithParent(*exec.Cmd) {}
