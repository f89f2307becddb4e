// Package inputlimit bounds what agentshape reads from untrusted input before
// it is decoded: every input file, stream and request body has a byte cap,
// refused before it is read whole, and every JSON or YAML document one
// nesting-depth limit, MaxDepth. JSON decoders (schemas.Decode, the
// emulator's body walk) stop at MaxDepth themselves; YAML is pre-scanned
// (CheckYAML) before the YAML parser builds anything, because go-yaml's
// cost grows with the square of the nesting depth and of the width of a
// mapping.
//
// The limits, and where they apply:
//
//	MaxDepth      128 levels  every JSON and YAML document
//	MaxJSONBytes  4 MiB       JSON files and stdin: --request, --context,
//	                          --input, validate; emulator admin JSON bodies
//	MaxYAMLBytes  64 KiB      YAML documents: pipeline manifests, org files,
//	                          PUT /__admin/org, validate of YAML
//	MaxModuleBytes 64 MiB     plugin modules (.wasm) read from files or pulled
//	(the reader's) the limit its reader sets: plugin cache blobs and links
//	                          (internal/cas, format Cache)
//
// A refusal is an *Error naming the source, the line (for depth), the limit
// and what to do; errors.Is matches ErrTooLarge or ErrTooDeep.
package inputlimit

import (
	"errors"
	"fmt"
	"io"
	"os"
)

const (
	// MaxDepth is the deepest nesting of objects and arrays (JSON) or
	// mappings and sequences (YAML) agentshape accepts in any document: far
	// more than any request, context, manifest or org file needs (they nest
	// five levels at most), far less than what makes a decoder's time or
	// memory blow up.
	MaxDepth = 128

	// MaxJSONBytes bounds a JSON document read from a file, stdin or an
	// emulator admin request: four times the largest body the Agent API
	// takes (1 MiB), and at most about 150 MB of decoded values.
	MaxJSONBytes = 4 << 20

	// MaxYAMLBytes bounds a document parsed as YAML (pipeline manifests,
	// emulator org files and PUT /__admin/org bodies, JSON or YAML). go-yaml
	// uses about 400 bytes of memory per input byte on small tokens and time
	// that grows with the square of a mapping's width (a 256 KiB mapping of
	// small keys: 2.6 s of CPU per parse), so this is kept far below the
	// JSON cap: at 64 KiB the worst document costs validate 0.25 s of CPU
	// and 70 MB; real manifests and org files are 1 KiB, a large org 25 KiB.
	MaxYAMLBytes = 64 << 10

	// MaxModuleBytes bounds a plugin module (.wasm) the host reads or pulls:
	// Go plugins are 2-3 MiB, C and AssemblyScript ones far smaller, and
	// compiling a module costs time and memory in proportion to its size.
	MaxModuleBytes = 64 << 20
)

var (
	// ErrTooLarge matches an *Error for an input over its byte cap.
	ErrTooLarge = errors.New("input too large")
	// ErrTooDeep matches an *Error for a document nested deeper than MaxDepth.
	ErrTooDeep = errors.New("document nested too deeply")
	// ErrNotRegular matches ReadFile's refusal of a path that is not a
	// regular file (a FIFO, a device, a socket, a directory): reading one
	// could block forever or never end.
	ErrNotRegular = errors.New("not a regular file")
)

// Format names the kind of document a limit applies to.
type Format string

// The formats inputs are read as.
const (
	JSON   Format = "JSON"
	YAML   Format = "YAML"
	Module Format = "WebAssembly"
	// Cache is a file of the plugin cache (internal/cas): a blob or a link,
	// under the limit its reader sets.
	Cache Format = "plugin cache"
)

// Error is an input refused for its size or nesting depth.
type Error struct {
	// Source names what was read: a file name, "stdin", "request body";
	// "" when the caller adds it.
	Source string
	// Line is the 1-based line where the nesting crossed the limit (0 for
	// size, or when unknown).
	Line int
	// Limit is the byte cap or MaxDepth.
	Limit int64
	// Format is the kind of document the limit is for.
	Format Format
	// Kind is ErrTooLarge or ErrTooDeep.
	Kind error
}

// Error implements error: where, then Reason.
func (e *Error) Error() string {
	where := e.Source
	switch {
	case e.Line > 0 && where != "":
		where = fmt.Sprintf("%s:%d", where, e.Line)
	case e.Line > 0:
		where = fmt.Sprintf("line %d", e.Line)
	}
	if where != "" {
		where += ": "
	}
	return where + e.Reason()
}

// Reason says which limit was crossed and what to do, without the location
// (for callers that report the source and line their own way).
func (e *Error) Reason() string {
	if errors.Is(e.Kind, ErrTooDeep) {
		return fmt.Sprintf("nested deeper than %d levels, agentshape's limit for JSON and YAML documents; "+
			"flatten the document (requests, contexts, manifests and org files need a few levels)", e.Limit)
	}
	advice := "a request, context or envelope is a few KiB (the Agent API takes at most 1 MiB): check that this is the right file"
	switch e.Format {
	case YAML:
		advice = "a pipeline manifest or org file is a few KiB: check that this is the right file, or split it"
	case Module:
		advice = "a plugin is a few MiB at most: check the plugin path"
	case Cache:
		advice = "the cache holds what agentshape wrote, so this file is damaged or was put there by something else: remove it and the plugin is fetched again"
	}
	what := "document"
	switch e.Format {
	case Module:
		what = "module"
	case Cache:
		what = "file"
	}
	return fmt.Sprintf("exceeds %d bytes%s, agentshape's limit for a %s %s; %s", e.Limit, human(e.Limit), e.Format, what, advice)
}

// Unwrap returns Kind, so errors.Is(err, ErrTooLarge) works.
func (e *Error) Unwrap() error { return e.Kind }

// human writes a round byte count in MiB or KiB, in parentheses.
func human(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf(" (%d MiB)", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf(" (%d KiB)", n>>10)
	}
	return ""
}

// fileKind names the type of a file that is not regular.
func fileKind(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m.IsDir():
		return "a directory"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

// TooLarge returns the *Error for source over limit bytes of format.
func TooLarge(source string, limit int64, format Format) *Error {
	return &Error{Source: source, Limit: limit, Format: format, Kind: ErrTooLarge}
}

// Read reads r to its end, refusing (with an *Error naming source) more
// than limit bytes of format: it never holds more than limit+1 bytes.
func Read(r io.Reader, source string, limit int64, format Format) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, TooLarge(source, limit, format)
	}
	return b, nil
}

// ReadFile reads the regular file at path, refusing (with an *Error naming
// path) more than limit bytes of format by its size, before reading
// anything. Anything else — a FIFO, a device, a socket, a directory — is
// refused with an *os.PathError naming path that matches ErrNotRegular: the
// open does not block (O_NONBLOCK on unix) and the type is checked on the
// open file. Stdin is read with Read. Other errors are the os errors, which
// name the path.
func ReadFile(path string, limit int64, format Format) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &os.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w (it is %s): pass the path of a regular file", ErrNotRegular, fileKind(fi.Mode()))}
	}
	if fi.Size() > limit {
		return nil, TooLarge(path, limit, format)
	}
	b, err := Read(f, path, limit, format)
	if err != nil {
		var pe *os.PathError
		if !errors.As(err, &pe) && !errors.Is(err, ErrTooLarge) {
			err = &os.PathError{Op: "read", Path: path, Err: err}
		}
		return nil, err
	}
	return b, nil
}
