package conformance

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Failures: what a broken rule is, how the gate records each one once
// with its reproducer, and the text steps and reports show for it.

// Failure is one broken rule, with what is needed to reproduce it.
type Failure struct {
	// Check is the kind of rule: abi, answer, schema, reserved, deterministic, limits, e2e.
	Check string `json:"check"`
	// Plugin names the plugin at fault, when known.
	Plugin string `json:"plugin,omitempty"`
	// Case is the generated case's label ("" outside generated cases).
	Case string `json:"case,omitempty"`
	// Message says what is wrong (the same for every case that shows it).
	Message string `json:"message"`
	// Detail adds what this instance showed (e.g. the two differing answers).
	Detail string `json:"detail,omitempty"`
	// Envelope is the file holding the envelope that reproduces the failure.
	Envelope string `json:"envelope,omitempty"`
	// Command replays the failing call.
	Command string `json:"command,omitempty"`
	// envelope is the reproducer envelope itself, which the HTML report embeds.
	envelope []byte
	// Similar counts the failures left out of the report because they
	// differ from this one only in numbers (sizes, offsets, counts): at
	// most MaxSimilarFailures of a kind are reported.
	Similar int `json:"similar,omitempty"`
}

// MaxSimilarFailures is how many failures differing only in numbers a report
// lists before it counts the rest on the first of them.
const MaxSimilarFailures = 3

// String renders a failure with its reproducer, for logs and step errors.
func (f Failure) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] %s", f.Check, f.Message)
	if f.Detail != "" {
		fmt.Fprintf(&b, "\n    detail:   %s", f.Detail)
	}
	if f.Plugin != "" {
		fmt.Fprintf(&b, "\n    plugin:   %s", f.Plugin)
	}
	if f.Case != "" {
		fmt.Fprintf(&b, "\n    case:     %s", f.Case)
	}
	if f.Envelope != "" {
		fmt.Fprintf(&b, "\n    envelope: %s", f.Envelope)
	}
	if f.Command != "" {
		fmt.Fprintf(&b, "\n    re-run:   %s", f.Command)
	}
	if f.Similar > 0 {
		fmt.Fprintf(&b, "\n    and %d more failure(s) like this one, differing only in numbers, left out", f.Similar)
	}
	return b.String()
}

func (f Failure) key() string { return f.Check + "\x00" + f.Plugin + "\x00" + f.Message }

var digits = regexp.MustCompile(`[0-9]+`)

// similarKey is key with every number masked: failures that share it differ
// only in sizes, offsets or counts (alloc(448) and alloc(227)).
func (f Failure) similarKey() string { return digits.ReplaceAllString(f.key(), "#") }

// known returns the failure already recorded for f's key, or f itself when
// f is one too many of its kind (and counts it on the first of its kind).
func (g *gate) known(f Failure) (Failure, bool) {
	if i, ok := g.seen[f.key()]; ok {
		return g.failures[i], true
	}
	if _, ok := g.capped[f.key()]; ok {
		return f, true
	}
	if like := g.similar[f.similarKey()]; len(like) >= MaxSimilarFailures {
		g.capped[f.key()] = like[0]
		g.failures[like[0]].Similar++
		return f, true
	}
	return Failure{}, false
}

// fail records f once: the same check, plugin and message are reported once,
// with the first reproducer found, and at most MaxSimilarFailures failures
// that differ only in numbers.
func (g *gate) fail(f Failure) Failure {
	if k, ok := g.known(f); ok {
		return k
	}
	g.seen[f.key()] = len(g.failures)
	g.similar[f.similarKey()] = append(g.similar[f.similarKey()], len(g.failures))
	g.failures = append(g.failures, f)
	return f
}

// failAt records a failure found in answer a, writing the envelope of the
// plugin at fault (plugin) as its reproducer.
func (g *gate) failAt(check, message, plugin, label string, a answer) Failure {
	return g.failDetail(check, message, "", plugin, label, a)
}

// failDetail is failAt with a detail that does not make the failure distinct.
func (g *gate) failDetail(check, message, detail, plugin, label string, a answer) Failure {
	f := Failure{Check: check, Message: message, Detail: detail, Plugin: plugin, Case: label}
	if k, ok := g.known(f); ok {
		return k
	}
	g.writeEnvelope(&f, a)
	return g.fail(f)
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeName(s string) string { return unsafeChars.ReplaceAllString(s, "_") }

// stepError turns failures into the error a step returns.
func stepError(fs []Failure) error {
	if len(fs) == 0 {
		return nil
	}
	parts := make([]string, 0, len(fs))
	done := map[string]bool{}
	for _, f := range fs {
		if len(done) == 5 {
			parts = append(parts, "(more failures in the report)")
			break
		}
		if !done[f.key()] {
			done[f.key()] = true
			parts = append(parts, f.String())
		}
	}
	return errors.New(strings.Join(parts, "\n  "))
}

func determinismMessage(how string) string {
	return fmt.Sprintf("the same envelope gave different answers (%s); an answer may depend only on the envelope and the seed: keep no state between calls, and draw random numbers from the host on each call (WASI random_get, which the gate seeds) rather than from a generator seeded once at start-up, such as Go's math/rand", how)
}

func reservedMessage(ptr string) string {
	return fmt.Sprintf("the shaped request sets %s, the Tenant Key ID, which is reserved for Salesforce's internal use (agent-api.md §6): remove it", ptr)
}

// report records a failure found on generated case c (answer a); the first
// time a failure is seen, the case is shrunk to the smallest context that
// still shows it (still), and that envelope becomes the reproducer.
func (g *gate) report(check, message, detail, plugin string, c Case, a answer, still func(x, y answer) bool) Failure {
	f := Failure{Check: check, Message: message, Plugin: plugin}
	if k, ok := g.known(f); ok {
		return k
	}
	if still != nil && g.runner != nil {
		c, a = g.shrink(c, still)
	}
	return g.failDetail(check, message, detail, plugin, caseLabel(c), a)
}
