// Command agentshape shapes, validates and sends the Salesforce Agentforce
// Agent API Start Session request through a pipeline of WebAssembly plugins.
//
// Each sub-command lives in its own file and registers itself with register;
// main only wires logging and maps errors to exit codes.
package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// Exit codes shared by every command.
const (
	exitOK          = 0 // success (for start: the API answered 200)
	exitFailure     = 1 // the command ran and found a failure (invalid document, plugin error, failed gate)
	exitUsage       = 2 // bad flags or unreadable input
	exitInvalid     = 3 // start/shape: the shaped request failed validation and was not sent
	exitAPIError    = 4 // start: the API answered with an exception (non-200)
	exitUnreachable = 5 // start: the API could not be reached
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withCode wraps err so that main exits with code.
func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// positive refuses a zero or negative value of a limit flag, which would
// otherwise silently mean the default; hint says what the flag bounds.
func positive[T int | int64 | uint32 | time.Duration](flag string, v T, hint string) error {
	if v > 0 {
		return nil
	}
	return withCode(exitUsage, fmt.Errorf("%s %v: must be greater than zero (%s)", flag, v, hint))
}

// commandFactories are the sub-commands registered by the files of this package.
var commandFactories []func() *cobra.Command

// register adds a sub-command; call it from an init function.
func register(f func() *cobra.Command) { commandFactories = append(commandFactories, f) }

// logLevel is the value of the global --log-level flag.
var logLevel string

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "agentshape",
		Short: "Shape, validate and send the Agentforce Agent API Start Session request",
		Long: `agentshape prepares the Salesforce Agentforce Agent API Start Session request by running
a pipeline of sandboxed WebAssembly plugins, validates it against JSON Schemas, and sends it
(to a real org, or to the embedded Agent API emulator when no credentials are configured).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			var lvl slog.Level
			if err := lvl.UnmarshalText([]byte(logLevel)); err != nil {
				return withCode(exitUsage, fmt.Errorf("--log-level %q: use debug, info, warn or error", logLevel))
			}
			slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl})))
			return nil
		},
	}
	// --version prints what `agentshape version` prints.
	root.Version = versionLine()
	root.SetVersionTemplate("{{.Version}}\n")
	root.Flags().BoolP("version", "v", false, "print the version and the commit it was built from")
	root.PersistentFlags().StringVar(&logLevel, "log-level", "warn", "log level: debug, info, warn or error (logs go to stderr)")
	for _, f := range commandFactories {
		root.AddCommand(f())
	}
	return root
}

func main() { os.Exit(run(os.Args[1:])) }

// run executes the CLI with args and returns the process exit code.
func run(args []string) int {
	root := newRootCmd()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(os.Stderr, "agentshape:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "agentshape:", err)
	if strings.Contains(err.Error(), "unknown command") || strings.Contains(err.Error(), "flag") || strings.Contains(err.Error(), "arg(s)") {
		return exitUsage
	}
	return exitFailure
}
