// Package sessionkey is the logic of the session-key example plugin: it sets
// the Start Session request's externalSessionKey (agent-api.md §2), the
// caller's UUID that tags the conversation in Salesforce's event logs.
//
// Modes (config.mode):
//   - "auto" (default): "conversation" when context.conversationId is set, else "random".
//   - "random": a version 4 UUID from the sandbox's randomness (WASI
//     random_get; the host seeds it in deterministic mode).
//   - "conversation": a version 5 (name-based, SHA-1) UUID of
//     context.conversationId in Namespace, so a retried conversation gets
//     the same key. Refused when context.conversationId is empty.
//
// config.namespace replaces Namespace with another UUID (e.g. one per
// deployment, so two deployments never derive the same keys). A key already
// in the request is kept unless config.replace is true, so a caller that
// passes its own key wins.
package sessionkey

import (
	"errors"
	"strings"

	"github.com/agentshape/agentshape/plugins/kits/go/shapekit"
)

// Namespace is the default namespace of conversation-derived keys:
// the version 5 UUID of the URL "https://github.com/agentshape/agentshape#externalSessionKey"
// in the RFC 9562 URL namespace (6ba7b811-9dad-11d1-80b4-00c04fd430c8).
const Namespace = "c0cf6b05-f11b-59d2-a60a-faa99a7ecdfc"

// Shape sets externalSessionKey; see the package documentation.
func Shape(env shapekit.Envelope) (shapekit.Request, error) {
	cfg := env.Plugin.Config
	mode, err := cfg.String("mode", "auto")
	if err != nil {
		return nil, err
	}
	nsText, err := cfg.String("namespace", Namespace)
	if err != nil {
		return nil, err
	}
	replace, err := cfg.Bool("replace", false)
	if err != nil {
		return nil, err
	}
	if existing, ok := env.Request.String("externalSessionKey"); ok && strings.TrimSpace(existing) != "" && !replace {
		shapekit.Log(shapekit.LevelDebug, "externalSessionKey already set by the caller; kept (set config.replace to override)")
		return env.Request, nil
	}
	ns, err := Parse(nsText)
	if err != nil {
		return nil, shapekit.Refuse(shapekit.CodeBadConfig, "config.namespace: %s", err)
	}
	conv := env.Context.ConversationID
	if mode == "auto" {
		mode = "random"
		if conv != "" {
			mode = "conversation"
		}
	}
	var key string
	switch mode {
	case "random":
		if key, err = Random(); err != nil {
			return nil, shapekit.Refuse("no_randomness", "cannot read randomness for a version 4 UUID: %s", err)
		}
	case "conversation":
		if conv == "" {
			return nil, shapekit.Refuse("no_conversation_id",
				"config.mode is \"conversation\" but context.conversationId is empty: pass the caller's conversation id, or use mode \"auto\" or \"random\"")
		}
		key = FromName(ns, conv)
	default:
		return nil, shapekit.Refuse(shapekit.CodeBadConfig, "config.mode %q is not one of auto, random, conversation", mode)
	}
	if err := env.Request.Set("externalSessionKey", key); err != nil {
		return nil, err
	}
	return env.Request, nil
}

// UUID is an RFC 9562 UUID.
type UUID [16]byte

const hexDigits = "0123456789abcdef"

// String formats u as 8-4-4-4-12 lower-case hex.
func (u UUID) String() string {
	b := make([]byte, 0, 36)
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[c>>4], hexDigits[c&15])
	}
	return string(b)
}

// Parse reads a UUID in 8-4-4-4-12 hex form (either case).
func Parse(s string) (UUID, error) {
	var u UUID
	bad := errors.New("\"" + s + "\" is not a UUID (want 8-4-4-4-12 hex digits)")
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, bad
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	for i := range u {
		hi, lo := strings.IndexByte(hexDigits, lower(h[2*i])), strings.IndexByte(hexDigits, lower(h[2*i+1]))
		if hi < 0 || lo < 0 {
			return u, bad
		}
		u[i] = byte(hi<<4 | lo)
	}
	return u, nil
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// Random returns a version 4 UUID from the host's randomness (shapekit.Random).
func Random() (string, error) {
	var u UUID
	if err := shapekit.Random(u[:]); err != nil {
		return "", err
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u.String(), nil
}

// FromName returns the version 5 UUID of name in namespace ns (SHA-1 of the
// namespace's 16 bytes followed by the name's UTF-8 bytes).
func FromName(ns UUID, name string) string {
	sum := sha1Sum(append(ns[:len(ns):len(ns)], name...))
	var u UUID
	copy(u[:], sum[:])
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return u.String()
}
