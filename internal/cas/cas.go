// Package cas is a content-addressed store of files on disk: every blob is
// kept under its own sha256 and only ever appears whole and verified, and
// names (such as an OCI tag) can point at a blob.
//
// A blob is written to a temporary file in the directory it belongs to,
// checked against the size and sha256 it was announced with, and renamed
// into place; on any failure (a short or long stream, a wrong digest, a
// refused read, a full disk) the temporary file is removed and the store is
// as it was. A process killed mid-write leaves at most a hidden ".tmp-*"
// file that no lookup ever returns. Files are not synced to disk before the
// rename: a blob damaged by a crash of the machine is caught when it is
// read (ReadBlob verifies; callers that hand a path on must verify what
// they read from it, as the plugin host does with a sha256 pin).
//
// The layout under the store's directory:
//
//	blobs/sha256/<64 hex digits>   a blob, named by the sha256 of its bytes
//	links/<64 hex digits>          a name's link: the sha256 of the name,
//	                               holding "<name>\n<blob hex>\n"
package cas

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/agentshape/agentshape/internal/inputlimit"
)

// Errors the store returns; each is wrapped with the blob or name concerned.
var (
	// ErrDigestMismatch: the bytes do not hash to the digest they were
	// announced (or stored) under.
	ErrDigestMismatch = errors.New("content does not match its sha256 digest")
	// ErrSizeMismatch: the stream was shorter or longer than announced.
	ErrSizeMismatch = errors.New("content size does not match the announced size")
	// ErrTooLarge: a blob is over the limit the caller set (an
	// *inputlimit.Error, which names the file and the limit).
	ErrTooLarge = inputlimit.ErrTooLarge
	// ErrNotFound: no such blob or name in the store.
	ErrNotFound = errors.New("not in the cache")
	// ErrBadDigest: a digest that is not 64 lowercase hex digits.
	ErrBadDigest = errors.New("not a sha256 digest (64 lowercase hex digits)")
)

// MaxLinkBytes bounds a link file (a name and a digest): links are written by
// this package and are small; anything larger is not a link.
const MaxLinkBytes = 4 << 10

// Store is a content-addressed store rooted at a directory. Its methods are
// safe for concurrent use, also by several processes sharing the directory:
// every write is a rename of a complete, verified file.
type Store struct {
	dir string
}

// New returns the store rooted at dir; the directory is created on the
// first write.
func New(dir string) *Store { return &Store{dir: dir} }

// Dir returns the store's root directory.
func (s *Store) Dir() string { return s.dir }

// CheckDigest reports whether hexDigest is a sha256 digest as the store
// names blobs: 64 lowercase hex digits.
func CheckDigest(hexDigest string) error {
	if len(hexDigest) != 2*sha256.Size || strings.ToLower(hexDigest) != hexDigest {
		return fmt.Errorf("%q: %w", hexDigest, ErrBadDigest)
	}
	if _, err := hex.DecodeString(hexDigest); err != nil {
		return fmt.Errorf("%q: %w", hexDigest, ErrBadDigest)
	}
	return nil
}

// BlobPath returns where the blob with this sha256 lives (whether or not it
// is there).
func (s *Store) BlobPath(hexDigest string) string {
	return filepath.Join(s.dir, "blobs", "sha256", hexDigest)
}

// Stat returns the size of a stored blob; ok is false when it is absent or
// not a regular file. It reads nothing: the blob is not verified.
func (s *Store) Stat(hexDigest string) (size int64, ok bool) {
	if CheckDigest(hexDigest) != nil {
		return 0, false
	}
	fi, err := os.Stat(s.BlobPath(hexDigest))
	if err != nil || !fi.Mode().IsRegular() {
		return 0, false
	}
	return fi.Size(), true
}

// Put stores exactly size bytes read from r as the blob hexDigest and
// returns its path. The stream is refused, and nothing is stored, when it is
// shorter or longer than size, when its sha256 is not hexDigest, or when r
// fails (a reader may fail on purpose, e.g. to refuse a stream that does not
// start as expected). A blob already present is replaced by the new,
// verified copy.
func (s *Store) Put(hexDigest string, size int64, r io.Reader) (path string, err error) {
	if err := CheckDigest(hexDigest); err != nil {
		return "", err
	}
	if size < 0 {
		return "", fmt.Errorf("blob sha256:%s: negative size %d: %w", hexDigest, size, ErrSizeMismatch)
	}
	path = s.BlobPath(hexDigest)
	h := sha256.New()
	err = writeAtomic(path, func(w io.Writer) error {
		n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(r, size+1))
		if err != nil {
			return err
		}
		if n != size {
			return fmt.Errorf("blob sha256:%s: got %d bytes or more, announced %d: %w", hexDigest, n, size, ErrSizeMismatch)
		}
		return checkSum(hexDigest, h)
	})
	if err != nil {
		return "", err
	}
	return path, nil
}

// PutBytes stores b as its own blob and returns its sha256 (hex) and path.
func (s *Store) PutBytes(b []byte) (hexDigest, path string, err error) {
	sum := sha256.Sum256(b)
	hexDigest = hex.EncodeToString(sum[:])
	path, err = s.Put(hexDigest, int64(len(b)), bytes.NewReader(b))
	return hexDigest, path, err
}

// ReadBlob reads a whole blob of at most max bytes and verifies it. A blob
// that does not match its digest is removed (it is damaged; fetching it
// again repairs the store) and ErrDigestMismatch returned.
func (s *Store) ReadBlob(hexDigest string, max int64) ([]byte, error) {
	if err := CheckDigest(hexDigest); err != nil {
		return nil, err
	}
	path := s.BlobPath(hexDigest)
	b, err := readFile(path, max)
	if err != nil {
		return nil, fmt.Errorf("blob sha256:%s: %w", hexDigest, err)
	}
	h := sha256.New()
	h.Write(b)
	if err := checkSum(hexDigest, h); err != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("%s: %w (removed; it will be fetched again)", path, err)
	}
	return b, nil
}

// Link points name at the blob hexDigest, replacing what it pointed at.
func (s *Store) Link(name, hexDigest string) error {
	if err := CheckDigest(hexDigest); err != nil {
		return err
	}
	if strings.ContainsRune(name, '\n') || len(name)+len(hexDigest)+2 > MaxLinkBytes {
		return fmt.Errorf("link name %q: must be one line and short", name)
	}
	return writeAtomic(s.linkPath(name), func(w io.Writer) error {
		_, err := io.WriteString(w, name+"\n"+hexDigest+"\n")
		return err
	})
}

// Resolve returns the blob name points at (ErrNotFound when it has no link).
func (s *Store) Resolve(name string) (hexDigest string, err error) {
	b, err := readFile(s.linkPath(name), MaxLinkBytes)
	if err != nil {
		return "", fmt.Errorf("link %q: %w", name, err)
	}
	got, digest, ok := strings.Cut(strings.TrimSuffix(string(b), "\n"), "\n")
	if !ok || got != name || CheckDigest(digest) != nil {
		return "", fmt.Errorf("link %q: %s is damaged: %w", name, s.linkPath(name), ErrNotFound)
	}
	return digest, nil
}

func (s *Store) linkPath(name string) string {
	sum := sha256.Sum256([]byte(name))
	return filepath.Join(s.dir, "links", hex.EncodeToString(sum[:]))
}

func checkSum(hexDigest string, h hash.Hash) error {
	if got := hex.EncodeToString(h.Sum(nil)); got != hexDigest {
		return fmt.Errorf("sha256 is %s, expected %s: %w", got, hexDigest, ErrDigestMismatch)
	}
	return nil
}

// readFile reads a whole store file of at most max bytes through
// inputlimit.ReadFile: a larger one is refused by its size before it is
// read (ErrTooLarge), and a FIFO, device or directory where a file should
// be is refused without blocking; that, or no file, is ErrNotFound.
func readFile(path string, max int64) ([]byte, error) {
	b, err := inputlimit.ReadFile(path, max, inputlimit.Cache)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, ErrNotFound
	case errors.Is(err, inputlimit.ErrNotRegular):
		return nil, fmt.Errorf("%w: %w", err, ErrNotFound)
	}
	return b, err
}

// writeAtomic writes path through a hidden temporary file in its directory
// (created 0700 as needed): write fills it; on any error it is removed,
// otherwise renamed onto path.
func writeAtomic(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create the cache directory %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("write the cache: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(f.Name())
		}
	}()
	werr := write(f)
	if err := errors.Join(werr, f.Close()); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write the cache: %w", err)
	}
	return nil
}
