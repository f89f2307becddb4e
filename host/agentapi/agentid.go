package agentapi

import (
	"errors"
	"fmt"
)

// ErrInvalidAgentID is wrapped by the error ValidateAgentID returns.
var ErrInvalidAgentID = errors.New("invalid agent ID")

// ValidateAgentID checks the documented form of an agent ID (agent-api.md §1):
// a BotDefinition record Id, prefix "0Xx", 15 or 18 ASCII letters and digits.
// The client calls it before any request, so a typo never costs a token
// request or an API call.
func ValidateAgentID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: empty: pass the agent's ID (starts with 0Xx) from the end of its details page URL in Setup", ErrInvalidAgentID)
	}
	if len(id) != 15 && len(id) != 18 {
		return fmt.Errorf("%w %q: it has %d characters, an agent ID has 15 or 18 (copy it from the end of the agent details page URL)", ErrInvalidAgentID, id, len(id))
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return fmt.Errorf("%w %q: character %d (%q) is not a letter or digit", ErrInvalidAgentID, id, i+1, c)
		}
	}
	if id[:3] != "0Xx" {
		return fmt.Errorf("%w %q: an agent ID (BotDefinition Id) starts with \"0Xx\", this starts with %q", ErrInvalidAgentID, id, id[:3])
	}
	return nil
}

// validatePathSafeID is the check left when Config.SkipAgentIDCheck is set:
// the ID must be non-empty letters and digits, so it cannot change the URL.
func validatePathSafeID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: empty: pass the agent's ID (starts with 0Xx)", ErrInvalidAgentID)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return fmt.Errorf("%w %q: character %d (%q) is not a letter or digit, so it cannot be sent in the URL path", ErrInvalidAgentID, id, i+1, c)
		}
	}
	return nil
}
