package schemas

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	_ "time/tzdata" // IANA zone names validate the same on every machine

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// compiled is one schema, compiled on first use.
type compiled struct {
	once sync.Once
	sch  *jsonschema.Schema
	err  error
}

var (
	rawOnce sync.Once
	rawDocs map[string]any // schema URL -> decoded schema document
	rawErr  error
)

// schemaFor returns the compiled schema called name, compiling it on first use.
func schemaFor(name Name) (*jsonschema.Schema, error) {
	c, ok := compiledFor()[name]
	if !ok {
		return nil, unknown(name)
	}
	c.once.Do(func() { c.sch, c.err = compile(name) })
	return c.sch, c.err
}

// compiledFor holds one lazily compiled entry per embedded schema; the map
// itself is built once and only read afterwards, so lookups take no lock.
var compiledFor = sync.OnceValue(func() map[Name]*compiled {
	m := map[Name]*compiled{}
	for _, n := range List() {
		m[n] = &compiled{}
	}
	return m
})

// raw returns every embedded schema decoded, keyed by its URL; messages and
// rule names are read from it.
func raw() (map[string]any, error) {
	rawOnce.Do(func() {
		rawDocs = map[string]any{}
		for _, n := range List() {
			src, _ := Source(n)
			var v any
			if err := json.Unmarshal(src, &v); err != nil {
				rawErr = fmt.Errorf("embedded schema %s is not JSON: %w", n, err)
				return
			}
			rawDocs[URL(n)] = v
		}
	})
	return rawDocs, rawErr
}

// compile builds the named schema with every embedded schema available as a
// resource, so that schemas can $ref each other; nothing is loaded from outside.
func compile(name Name) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	c.Formats["iana-time-zone"] = isTimeZone
	c.LoadURL = func(s string) (io.ReadCloser, error) {
		return nil, fmt.Errorf("schema %s is not embedded in agentshape (only %s*%s are)", s, BaseURL, fileSuffix)
	}
	for _, n := range List() {
		src, _ := Source(n)
		if err := c.AddResource(URL(n), bytes.NewReader(src)); err != nil {
			return nil, fmt.Errorf("embedded schema %s: %w", n, err)
		}
	}
	sch, err := c.Compile(URL(name))
	if err != nil {
		return nil, fmt.Errorf("compile embedded schema %s: %w", name, err)
	}
	return sch, nil
}

// zoneName is the shape of an IANA time zone name: "UTC", "Europe/Berlin",
// "America/Argentina/Buenos_Aires", "Etc/GMT+1". It keeps out the names
// time.LoadLocation accepts that are not zones ("", "Local", file paths).
var zoneName = regexp.MustCompile(`^[A-Z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,2}$`)

var (
	zoneCache     sync.Map     // string -> bool
	zoneCacheSize atomic.Int64 // entries in zoneCache, bounded by maxZoneCache
)

const maxZoneCache = 4096

// isTimeZone is the "iana-time-zone" format: a name in the IANA time zone
// database (agent-api.md §2 tz).
func isTimeZone(v any) bool {
	s, ok := v.(string)
	if !ok {
		return true
	}
	if ok, hit := zoneCache.Load(s); hit {
		return ok.(bool)
	}
	valid := len(s) <= 64 && zoneName.MatchString(s) && s != "Local" && !strings.Contains(s, "..")
	if valid {
		_, err := time.LoadLocation(s)
		valid = err == nil
	}
	if zoneCacheSize.Load() < maxZoneCache { // bounded: hostile input cannot grow it forever
		if _, loaded := zoneCache.LoadOrStore(s, valid); !loaded {
			zoneCacheSize.Add(1)
		}
	}
	return valid
}
