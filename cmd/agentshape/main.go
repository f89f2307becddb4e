// Command agentshape shapes, validates and sends the Salesforce Agentforce
// Agent API Start Session request through a pipeline of WebAssembly plugins.
//
// Each sub-command lives in its own file and registers itself with register;
// main only wires logging and maps errors to exit codes.
package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
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

// cli is one run of the command line: the streams, the environment and
// the logger every command uses. The CLI keeps no package-level state, so
// runs are independent (the tests run many at once).
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// getenv reads the environment (os.Getenv in main): the SF_* variables
	// that select an org, and the user cache directory's.
	getenv func(string) string
	// logLevel is the value of the global --log-level flag.
	logLevel string
	// logger writes to stderr at --log-level; set before any command runs.
	logger *slog.Logger
}

// usageError marks err as a usage error (exit 2): bad flags or arguments.
func usageError(err error) error { return withCode(exitUsage, err) }

// usageArgs makes an argument validator's refusal a usage error.
func usageArgs(validate cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error { return usageError(validate(cmd, args)) }
}

// newCLI is a run over these streams and environment, logging at the
// default level until --log-level is read.
func newCLI(getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) *cli {
	return &cli{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv,
		logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
}

// newRootCmd builds the command tree of one run.
func (c *cli) newRootCmd() *cobra.Command {
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
			if err := lvl.UnmarshalText([]byte(c.logLevel)); err != nil {
				return usageError(fmt.Errorf("--log-level %q: use debug, info, warn or error", c.logLevel))
			}
			c.logger = slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: lvl}))
			// cobra checks required flags and flag groups after this hook,
			// with errors of no type of their own: check them here first.
			if err := cmd.ValidateRequiredFlags(); err != nil {
				return usageError(err)
			}
			if err := cmd.ValidateFlagGroups(); err != nil {
				return usageError(err)
			}
			return nil
		},
	}
	root.SetIn(c.stdin)
	root.SetOut(c.stdout)
	root.SetErr(c.stderr)
	// Unknown flags and malformed flag values, on every command.
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	// --version prints what `agentshape version` prints.
	root.Version = versionLine()
	root.SetVersionTemplate("{{.Version}}\n")
	root.Flags().BoolP("version", "v", false, "print the version and the commit it was built from")
	root.PersistentFlags().StringVar(&c.logLevel, "log-level", "warn", "log level: debug, info, warn or error (logs go to stderr)")
	root.AddCommand(
		c.newConformanceCmd(),
		c.newEmulatorCmd(),
		c.newPluginCmd(),
		newSchemasCmd(),
		c.newSessionCmd(),
		c.newShapeCmd(),
		c.newStartCmd(),
		newValidateCmd(),
		newVersionCmd(),
	)
	usageErrorsFromArgs(root)
	return root
}

func main() { os.Exit(run(os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)) }

// run executes the CLI with args, the environment getenv reads and the
// given streams, and returns the process exit code.
func run(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newCLI(getenv, stdin, stdout, stderr).newRootCmd()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	code := exitFailure
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		code, err = ee.code, ee.err
	case unknownCommand(root, args):
		code = exitUsage
	}
	if err != nil && err.Error() != "" {
		fmt.Fprintln(stderr, "agentshape:", err)
	}
	return code
}

// unknownCommand reports whether args start with a word that names no
// command. cobra refuses that while it looks the command up, before any
// hook or validator of ours runs, with an error of no type of its own; the
// same look-up, asked again, tells that error apart.
func unknownCommand(root *cobra.Command, args []string) bool {
	_, _, err := root.Find(args)
	return err != nil
}

// usageErrorsFromArgs makes the refusals of every command's argument
// validator under cmd usage errors.
func usageErrorsFromArgs(cmd *cobra.Command) {
	if cmd.Args != nil {
		cmd.Args = usageArgs(cmd.Args)
	}
	for _, sub := range cmd.Commands() {
		usageErrorsFromArgs(sub)
	}
}
