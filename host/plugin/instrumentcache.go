package plugin

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/agentshape/agentshape/internal/instrument"
)

// The on-disk cache of instrumented modules is keyed by the original
// module's sha256 and instrument.Version, so a warm start instruments
// nothing.

// unmeteredVersion names the instrumentation without fuel
// (RuntimeOptions.unmetered).
const unmeteredVersion = instrument.Version + "-unmetered"

// instrumentedDir is the directory, inside the compilation cache directory,
// that holds instrumented modules (wazero keeps its own entries in
// wazero-<version>-<arch>-<os> beside it).
const instrumentedDir = "agentshape-instrumented"

// moduleKey identifies the module the host compiles for an original module:
// its sha256 and the instrumentation applied to it.
type moduleKey struct {
	sum        [sha256.Size]byte
	instrument string // instrument.Version, or "" when loaded unguarded
}

// fileName is the key's file name in the instrumented-module cache.
func (k moduleKey) fileName() string {
	return hex.EncodeToString(k.sum[:]) + "-" + k.instrument + ".wasm"
}

// instrument returns bin as the host runs it: instrumented with the stop
// flag and its checks (unless the runtime is unguarded), from the on-disk
// cache when a previous load left it there. A cache entry carries a
// checksum of its contents and is ignored unless they match (a damaged file
// is rebuilt). The cache directory is trusted as wazero's compiled code
// beside it is: whoever can write there can change what runs.
func (r *Runtime) instrument(bin []byte, key moduleKey) ([]byte, error) {
	if key.instrument == "" {
		return bin, nil
	}
	if key.instrument == unmeteredVersion {
		return instrument.Unmetered(bin)
	}
	if r.cacheDir == "" {
		return instrument.Module(bin)
	}
	path := filepath.Join(r.cacheDir, instrumentedDir, key.fileName())
	if out, ok := readSealed(path); ok {
		return out, nil
	}
	out, err := instrument.Module(bin)
	if err != nil {
		return nil, err
	}
	if err := writeSealed(path, out); err != nil {
		r.logger.Warn("could not cache the instrumented plugin; the next start will instrument it again", "err", err)
	}
	return out, nil
}

// sealTable is the CRC-32C table of cache entry seals: a checksum against
// damage, ten times cheaper than sha256 on a warm start (tampering is out of
// its scope, as said at instrument).
var sealTable = crc32.MakeTable(crc32.Castagnoli)

// sealSize is the size of a seal: a CRC-32C, little-endian.
const sealSize = 4

// readSealed reads a file written by writeSealed; ok is false when it is
// missing, unreadable or does not match its seal.
func readSealed(path string) (contents []byte, ok bool) {
	b, err := os.ReadFile(path)
	if err != nil || len(b) < sealSize {
		return nil, false
	}
	contents, seal := b[:len(b)-sealSize], b[len(b)-sealSize:]
	if crc32.Checksum(contents, sealTable) != binary.LittleEndian.Uint32(seal) {
		return nil, false
	}
	return contents, true
}

// writeSealed writes contents followed by their seal to path, atomically
// (a temporary file renamed into place), creating the directory.
func writeSealed(path string, contents []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write the instrumented-module cache: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(f.Name())
		}
	}()
	_, werr := f.Write(contents)
	if werr == nil {
		_, werr = f.Write(binary.LittleEndian.AppendUint32(nil, crc32.Checksum(contents, sealTable)))
	}
	if err := errors.Join(werr, f.Close()); err != nil {
		return fmt.Errorf("write %s: %w", f.Name(), err)
	}
	if err := os.Rename(f.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("write the instrumented-module cache: %w", err)
	}
	return nil
}
