package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/agentshape/agentshape/internal/version"
)

// versionLine is what `agentshape --version` and `agentshape version` print:
// the version and commit (internal/version), then the Go toolchain and
// platform the binary was built for, which a bug report needs too.
func versionLine() string {
	return fmt.Sprintf("agentshape %s %s %s/%s", version.String(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and the commit it was built from (as --version does)",
		Long: `version prints one line: "agentshape VERSION (commit COMMIT) GO OS/ARCH".

Release binaries (make build, make dist) carry the version and commit set at build time; a
"go install github.com/agentshape/agentshape/cmd/agentshape@VERSION" build shows the module version
and, when the toolchain recorded one, the commit. "unknown" means the build recorded neither.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), versionLine())
			return err
		},
	}
}
