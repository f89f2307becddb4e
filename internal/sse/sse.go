// Package sse reads a text/event-stream (server-sent events) body and hands
// each event to the caller as soon as its terminating blank line arrives.
//
// It implements the parsing rules of the WHATWG HTML "server-sent events"
// section that matter to a client of the Agent API streaming endpoint
// (agent-api.md §1: event = message type, data = JSON): "event", "data"
// (several lines joined by "\n"), "id", "retry" and ":" comments; CR, LF and
// CRLF line endings; a leading UTF-8 byte order mark.
package sse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// DefaultMaxEventBytes bounds one event (all of its lines) by default.
const DefaultMaxEventBytes = 1 << 20

// ErrEventTooLarge is wrapped by Read's error when one event exceeds the limit.
var ErrEventTooLarge = errors.New("server-sent event larger than the limit")

// ErrStop may be returned by a handler to end reading without an error.
var ErrStop = errors.New("stop reading events")

// Event is one dispatched server-sent event.
type Event struct {
	// Type is the "event" field; "message" when the server sent none.
	Type string
	// ID is the last "id" field seen on the stream so far.
	ID string
	// Data is the "data" lines joined by "\n".
	Data []byte
	// Retry is the reconnection time in milliseconds from a "retry" field, or 0.
	Retry int
}

// Read parses r and calls handle for each event in order. It returns nil at
// end of stream, the handler's error (ErrStop becomes nil), or a read or limit
// error. An event still being assembled when the stream ends is discarded, as
// the standard requires. maxEventBytes <= 0 means DefaultMaxEventBytes.
func Read(r io.Reader, maxEventBytes int, handle func(Event) error) error {
	if maxEventBytes <= 0 {
		maxEventBytes = DefaultMaxEventBytes
	}
	br := bufio.NewReaderSize(r, 4096)
	var (
		typ      string
		data     bytes.Buffer
		hasData  bool
		lastID   string
		retry    int
		size     int
		first    = true
		pendCR   bool // previous line ended in CR: a following LF belongs to it
		lineBuf  []byte
		eventNum int
	)
	for {
		line, err := readLine(br, &pendCR, &lineBuf, maxEventBytes-size)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			if errors.Is(err, ErrEventTooLarge) {
				return fmt.Errorf("sse: event %d: %w (%d bytes)", eventNum+1, ErrEventTooLarge, maxEventBytes)
			}
			return fmt.Errorf("sse: reading the stream: %w", err)
		}
		if first {
			line = bytes.TrimPrefix(line, []byte("\xEF\xBB\xBF"))
			first = false
		}
		if len(line) == 0 { // dispatch
			if hasData {
				eventNum++
				ev := Event{Type: typ, ID: lastID, Data: bytes.Clone(data.Bytes()), Retry: retry}
				if ev.Type == "" {
					ev.Type = "message"
				}
				if err := handle(ev); err != nil {
					if errors.Is(err, ErrStop) {
						return nil
					}
					return err
				}
			}
			typ, hasData, retry, size = "", false, 0, 0
			data.Reset()
			continue
		}
		size += len(line) + 1
		if line[0] == ':' {
			continue
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			value = bytes.TrimPrefix(value, []byte(" "))
		}
		switch string(field) {
		case "event":
			typ = string(value)
		case "data":
			if hasData {
				data.WriteByte('\n')
			}
			data.Write(value)
			hasData = true
		case "id":
			if bytes.IndexByte(value, 0) < 0 {
				lastID = string(value)
			}
		case "retry":
			if n, err := strconv.Atoi(string(value)); err == nil && n >= 0 {
				retry = n
			}
		}
	}
}

// readLine returns the next line without its terminator (CR, LF or CRLF).
// It fails with ErrEventTooLarge when the line is longer than budget bytes.
func readLine(br *bufio.Reader, pendCR *bool, buf *[]byte, budget int) ([]byte, error) {
	*buf = (*buf)[:0]
	for {
		if *pendCR {
			// A LF right after a CR belongs to the same line break.
			b, err := br.ReadByte()
			if err != nil {
				return nil, err
			}
			*pendCR = false
			if b != '\n' {
				_ = br.UnreadByte()
			}
		}
		chunk, err := br.Peek(1)
		if err != nil {
			// io.EOF: a final line without terminator cannot complete an event.
			return nil, err
		}
		chunk, _ = br.Peek(br.Buffered())
		i := bytes.IndexAny(chunk, "\r\n")
		take := chunk
		if i >= 0 {
			take = chunk[:i]
		}
		if len(*buf)+len(take) > budget {
			return nil, ErrEventTooLarge
		}
		*buf = append(*buf, take...)
		if i < 0 {
			_, _ = br.Discard(len(chunk))
			continue
		}
		*pendCR = chunk[i] == '\r'
		_, _ = br.Discard(i + 1)
		return *buf, nil
	}
}
