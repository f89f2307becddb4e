package inputlimit

import (
	"errors"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/token"
)

// ErrYAMLSyntax marks a document the YAML parser refused (see YAMLError).
var ErrYAMLSyntax = errors.New("not valid YAML")

// SyntaxError is a YAML parser's refusal reduced to where and why. go-yaml's
// own text quotes the source lines around the error, which may hold a
// secret (a client secret in an org file, a config value in a manifest):
// SyntaxError never repeats them.
type SyntaxError struct {
	// Line and Column are 1-based; 0 when the parser gave no position.
	Line, Column int
	// Msg is the parser's message, without the source snippet.
	Msg string
}

// Error implements error: "line L, column C: message".
func (e *SyntaxError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
	}
	return e.Msg
}

// Is makes errors.Is(err, ErrYAMLSyntax) true.
func (e *SyntaxError) Is(target error) bool { return target == ErrYAMLSyntax }

// YAMLError turns an error from go-yaml into a *SyntaxError (nil stays nil).
// The original error is not kept: its text quotes the document.
func YAMLError(err error) error {
	if err == nil {
		return nil
	}
	var ye yaml.Error
	if errors.As(err, &ye) {
		se := &SyntaxError{Msg: ye.GetMessage()}
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			se.Line, se.Column = tk.Position.Line, tk.Position.Column
			if key := keyOf(tk); key != "" && isValueError(err) {
				se.Msg += fmt.Sprintf(" (the value of %q)", key)
			}
		}
		return se
	}
	// Another error: keep its first line only, where go-yaml puts no source.
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return &SyntaxError{Msg: msg}
}

// isValueError reports whether err is about a value that does not fit its
// field (a type mismatch or overflow): naming the field's key helps then.
func isValueError(err error) bool {
	var te *yaml.TypeError
	var oe *yaml.OverflowError
	return errors.As(err, &te) || errors.As(err, &oe)
}

// keyOf is the mapping key a value token belongs to ("poolSize" for the
// "many" of "poolSize: many"), or "". A key names a field, never a value.
func keyOf(tk *token.Token) string {
	if p := tk.Prev; p != nil && p.Type == token.MappingValueType && p.Prev != nil {
		return p.Prev.Value
	}
	return ""
}
