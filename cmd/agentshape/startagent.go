package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/agentshape/agentshape/host/agentapi"
)

// checkAgentIDFlag checks the form of --agent-id, when given, before any
// file is read (exit 3: the request could never be sent).
func checkAgentIDFlag(flagValue string) error {
	if flagValue == "" {
		return nil
	}
	if err := agentapi.ValidateAgentID(flagValue); err != nil {
		return withCode(exitInvalid, fmt.Errorf("--agent-id: %w; nothing was sent", err))
	}
	return nil
}

// resolveAgentID picks the agent to start a session with: --agent-id, or,
// when it is absent, the context's agentId (and says so on stderr). Both
// given and naming different agents is a usage error naming both: plugins
// would see one agent and the API another.
func resolveAgentID(stderr io.Writer, flagValue, contextValue, contextPath string) (string, error) {
	contextValue = strings.TrimSpace(contextValue)
	switch {
	case flagValue == "" && contextValue == "" && contextPath == "":
		return "", withCode(exitUsage, errors.New("no agent ID: pass --agent-id 0Xx… (the Flow action's Agent ID input, from the agent details page URL)"))
	case flagValue == "" && contextValue == "":
		return "", withCode(exitUsage, fmt.Errorf("no agent ID: pass --agent-id 0Xx… or set \"agentId\" in the context file %s", contextPath))
	case flagValue == "":
		if err := agentapi.ValidateAgentID(contextValue); err != nil {
			return "", withCode(exitInvalid, fmt.Errorf("the context's agentId (%s): %w; nothing was sent", contextPath, err))
		}
		fmt.Fprintf(stderr, "agentshape: agent %s from the context's agentId (%s); --agent-id was not given\n", contextValue, contextPath)
		return contextValue, nil
	case contextValue == "" || sameAgentID(flagValue, contextValue):
		return flagValue, nil
	default:
		return "", withCode(exitUsage, fmt.Errorf("--agent-id %s and the context's agentId %s (%s) name different agents: drop one, or make them the same", flagValue, contextValue, contextPath))
	}
}

// sameAgentID reports whether two record IDs name the same record: equal, or
// the case-sensitive 15-character form and the 18-character form that adds
// a case-insensitive checksum to it.
func sameAgentID(a, b string) bool {
	if a == b {
		return true
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	return len(a) == 15 && len(b) == 18 && b[:15] == a
}
