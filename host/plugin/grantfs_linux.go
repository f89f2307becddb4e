package plugin

import (
	"fmt"
	"os"
	"syscall"
)

// kernelFileSystems are the statfs magic numbers of file systems whose files
// describe the host itself (linux/magic.h), never granted to a plugin.
var kernelFileSystems = map[int64]string{
	0x9fa0:     "proc",
	0x62656572: "sysfs",
	0x1cd1:     "devpts",
	0x64626720: "debugfs",
	0x74726163: "tracefs",
	0x73636673: "securityfs",
	0x27e0eb:   "cgroup",
	0x63677270: "cgroup2",
	0xcafe4a11: "bpf",
	0xde5e81e4: "efivarfs",
	0x6165676c: "pstore",
	0x62656570: "configfs",
	0x65735543: "fusectl",
}

// checkFileSystem refuses a file on a kernel file system such as /proc.
func checkFileSystem(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var st syscall.Statfs_t
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.Fstatfs(int(fd), &st) }); err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("statfs: %w", serr)
	}
	if name, ok := kernelFileSystems[int64(st.Type)]; ok {
		return fmt.Errorf("%s is on the kernel's %s file system: %w", f.Name(), name, errNotGrantable)
	}
	return nil
}
