package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path"
	"time"
)

// archiveFile is one file to pack: its name in the archive, where it is
// read from, and its mode.
type archiveFile struct {
	name string
	path string
	mode os.FileMode
}

// archiveWriter packs files under the directory dir into w, every entry with
// modification time mtime and no owner, so the same inputs give the same bytes.
type archiveWriter func(w io.Writer, dir string, files []archiveFile, mtime time.Time) error

// writeArchiveFile writes an archive to dest through a temporary file, so a
// failed run leaves no truncated archive behind.
func writeArchiveFile(dest, dir string, files []archiveFile, epoch int64, write archiveWriter) error {
	tmp, err := os.CreateTemp(path.Dir(dest), ".archive-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp, dir, files, time.Unix(epoch, 0).UTC()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// CreateTemp makes the file private; a release archive is for everyone.
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dest)
}

func writeTarGz(w io.Writer, dir string, files []archiveFile, mtime time.Time) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755, ModTime: mtime}); err != nil {
		return err
	}
	for _, f := range files {
		err := copyFrom(f.path, func(src *os.File, size int64) error {
			hdr := &tar.Header{Typeflag: tar.TypeReg, Name: dir + "/" + f.name, Mode: int64(f.mode), Size: size, ModTime: mtime}
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			_, err := io.Copy(tw, src)
			return err
		})
		if err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func writeZip(w io.Writer, dir string, files []archiveFile, mtime time.Time) error {
	zw := zip.NewWriter(w)
	for _, f := range files {
		hdr := &zip.FileHeader{Name: dir + "/" + f.name, Method: zip.Deflate, Modified: mtime}
		hdr.SetMode(f.mode)
		err := copyFrom(f.path, func(src *os.File, _ int64) error {
			fw, err := zw.CreateHeader(hdr)
			if err != nil {
				return err
			}
			_, err = io.Copy(fw, src)
			return err
		})
		if err != nil {
			return err
		}
	}
	return zw.Close()
}

// copyFrom opens the regular file at path and hands it and its size to use.
func copyFrom(path string, use func(src *os.File, size int64) error) error {
	src, err := os.Open(path)
	if err != nil {
		return err
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", path)
	}
	return use(src, fi.Size())
}
