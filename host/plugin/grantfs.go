package plugin

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// grantFS is a granted directory as the plugin sees it: every open goes
// through the directory's os.Root, so no path, .. or symbolic link leaves it,
// and only regular files and directories on an ordinary file system open.
//
// A FIFO, socket or device would block or stream without end inside a single
// host call, past the plugin's deadline; a file of a kernel file system
// (/proc, /sys, …) would hand the plugin the host process's own state — its
// environment, Salesforce secrets included. Both are refused with EPERM, as is
// a path that escapes the mount (os.Root's own error maps to EIO in wazero,
// which plugin authors would read as a disk fault).
type grantFS struct {
	root *os.Root
}

// errNotGrantable is why an open inside a grant was refused.
var errNotGrantable = errors.New("not a regular file or directory of an ordinary file system")

// Open implements fs.FS.
func (g grantFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	f, err := g.root.OpenFile(name, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		var errno syscall.Errno
		if errors.As(err, &errno) || errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		// os.Root's "path escapes from parent" carries no errno.
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	if err := checkGrantable(f); err != nil {
		_ = f.Close()
		// wazero maps only the bare fs.ErrPermission to EPERM (a wrapped one
		// becomes EIO); the plugin learns no more than that.
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return f, nil
}

// checkGrantable refuses what an open inside a grant must not hand a plugin.
func checkGrantable(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() && !fi.IsDir() {
		return fmt.Errorf("%s is a %s: %w", fi.Name(), fi.Mode().Type(), errNotGrantable)
	}
	return checkFileSystem(f)
}
