// Package plugincontract embeds the plugin-contract feature files: the rules
// every agentshape plugin and pipeline must keep. `agentshape conformance`
// runs them against a team's plugin; they also serve as its documentation.
package plugincontract

import "embed"

// Features holds the plugin-contract .feature files at its root.
//
//go:embed *.feature
var Features embed.FS
