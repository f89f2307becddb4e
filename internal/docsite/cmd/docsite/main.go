// Command docsite renders the living documentation (internal/docsite) into a
// static site: `make docs` runs the features, then this.
//
//	go run ./internal/docsite/cmd/docsite -out docs/site \
//	    -report features/reports/features.cucumber.json \
//	    -report features/reports/plugincontract.cucumber.json=plugincontract/
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/agentshape/agentshape/internal/docsite"
)

// reportFlags collects repeated -report flags.
type reportFlags []docsite.Report

func (r *reportFlags) String() string { return fmt.Sprint(*r) }

func (r *reportFlags) Set(s string) error {
	*r = append(*r, docsite.ParseReportFlag(s))
	return nil
}

func main() {
	var reports reportFlags
	root := flag.String("root", ".", "the repository's root directory")
	features := flag.String("features", "features", "the feature files, relative to -root")
	out := flag.String("out", "docs/site", "where to write the site")
	repoURL := flag.String("repo-url", "https://github.com/agentshape/agentshape/blob/main/", "where links to repository files that the site does not render point")
	flag.Var(&reports, "report", "a Cucumber JSON report of the run, FILE or FILE=PREFIX where PREFIX is where its feature URIs live under -features (repeatable)")
	flag.Parse()
	if len(reports) == 0 {
		fmt.Fprintln(os.Stderr, "docsite: no -report given: pass the Cucumber JSON reports of a feature run (make docs does)")
		os.Exit(2)
	}
	ver, commit := docsite.CurrentVersion(*root)
	site, err := docsite.Build(docsite.Options{Root: *root, FeaturesDir: *features, Reports: reports,
		Version: ver, Commit: commit, RepoURL: *repoURL})
	if err != nil {
		fmt.Fprintln(os.Stderr, "docsite:", err)
		os.Exit(1)
	}
	if err := site.Write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "docsite:", err)
		os.Exit(1)
	}
	c := site.Counts
	fmt.Printf("%s/index.html: %d features, %d scenarios: %d passed, %d failed, %d skipped, %d not run\n",
		*out, len(site.Features), c.Total(), c.Passed, c.Failed, c.Skipped, c.NotRun)
}
