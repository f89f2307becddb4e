package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/agentshape/agentshape/host/emulator"
)

// e2eOutcome is the Flow-style outcome of a Start Session call (agent-api.md §6).
type e2eOutcome struct {
	Output       string
	ResponseCode int
	Message      string
}

// flowOutput maps a status to the Start Session action's output name
// (agent-api.md §6: no 500 output; anything unlisted is Default Exception).
func flowOutput(status int) string {
	switch status {
	case 200:
		return "200"
	case 400, 401, 403, 404, 422, 423, 429, 503:
		return strconv.Itoa(status) + " Exception"
	}
	return "Default Exception"
}

// startSessionOnEmulator gets a token from the emulator's token endpoint with
// the demo client app and calls Start Session with body, once.
func startSessionOnEmulator(ctx context.Context, base string, body []byte) (*e2eOutcome, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {emulator.DemoClientID}, "client_secret": {emulator.DemoClientSecret}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+emulator.TokenPath, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("emulator token endpoint: %w", err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tok)
	resp.Body.Close()
	if err != nil || tok.AccessToken == "" {
		return nil, fmt.Errorf("emulator token endpoint answered %d without an access token (%v)", resp.StatusCode, err)
	}
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, base+emulator.APIPrefix+"/agents/"+emulator.DemoAgentID+"/sessions", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("emulator Start Session: %w", err)
	}
	defer resp.Body.Close()
	var eb struct {
		Message string `json:"message"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	_ = json.Unmarshal(b, &eb)
	return &e2eOutcome{Output: flowOutput(resp.StatusCode), ResponseCode: resp.StatusCode, Message: eb.Message}, nil
}
