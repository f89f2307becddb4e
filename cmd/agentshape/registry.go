package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/agentshape/agentshape/host/ociplugin"
	"github.com/agentshape/agentshape/host/pipeline"
)

// registryFlags are the flags of every command that reaches plugins in OCI
// registries (manifest paths oci://…, plugin push, pull and inspect).
type registryFlags struct {
	offline  bool
	config   string
	insecure []string
	cacheDir string
	timeout  time.Duration
}

// register adds the flags; withOffline adds --offline (not for push).
func (f *registryFlags) register(fs *pflag.FlagSet, withOffline bool) {
	if withOffline {
		fs.BoolVar(&f.offline, "offline", false, "use only plugins already in the plugin cache; never contact a registry")
	}
	fs.StringVar(&f.config, "registry-config", "", "Docker config.json with registry credentials (auths, credsStore, credHelpers); default: $DOCKER_CONFIG/config.json or ~/.docker/config.json")
	fs.StringArrayVar(&f.insecure, "insecure-registry", nil, "reach this registry (HOST or HOST:PORT) over plain HTTP (repeatable); loopback registries always are")
	fs.StringVar(&f.cacheDir, "plugin-cache", "", "cache of plugins pulled from registries (default <user cache dir>/agentshape/oci)")
	fs.DurationVar(&f.timeout, "registry-timeout", ociplugin.DefaultTimeout, "time limit of each plugin's pull or push")
}

// client returns a registry client configured by the flags, logging to
// logger.
func (f *registryFlags) client(logger *slog.Logger) (*ociplugin.Client, error) {
	if err := positive("--registry-timeout", f.timeout, "the time limit of one plugin's pull or push"); err != nil {
		return nil, err
	}
	for _, h := range f.insecure {
		if h == "" || strings.ContainsAny(h, "/@ ") {
			return nil, withCode(exitUsage, fmt.Errorf("--insecure-registry %q: name a registry as HOST or HOST:PORT", h))
		}
		if !ociplugin.IsLoopback(h) {
			logger.Warn("plain HTTP allowed for a registry that is not on this machine: its answers and any credentials sent to it can be read and changed on the way", "registry", h)
		}
	}
	c, err := ociplugin.New(ociplugin.Options{
		CacheDir:           f.cacheDir,
		Offline:            f.offline,
		RegistryConfig:     f.config,
		InsecureRegistries: f.insecure,
		Timeout:            f.timeout,
		Logger:             logger,
	})
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	return c, nil
}

// resolver is a pipeline.Resolver that makes its client on first use, so a
// manifest with no registry plugin needs no cache directory or credentials.
func (f *registryFlags) resolver(logger *slog.Logger) pipeline.Resolver {
	return &lazyResolver{flags: f, logger: logger}
}

type lazyResolver struct {
	flags  *registryFlags
	logger *slog.Logger
	client *ociplugin.Client
}

func (r *lazyResolver) ResolveModule(ctx context.Context, ref, pin string, allowTag bool) (string, string, error) {
	if r.client == nil {
		c, err := r.flags.client(r.logger)
		if err != nil {
			return "", "", err
		}
		r.client = c
	}
	return r.client.ResolveModule(ctx, ref, pin, allowTag)
}

// gateSetupCode is the exit code of an error setting the gate up: a
// registry error's (registryCode), else a usage error (a missing file, a
// malformed manifest).
func gateSetupCode(err error) int {
	var oe *ociplugin.Error
	if errors.As(err, &oe) {
		return registryCode(err)
	}
	return exitUsage
}

// registryCode is the exit code of a registry error: 2 when the reference
// or the manifest is wrong (malformed, a tag without a digest, a pin that
// contradicts the digest), 1 for everything else (the registry, the
// network, the cache, a refused artifact).
func registryCode(err error) int {
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, ociplugin.ErrBadReference), errors.Is(err, ociplugin.ErrUnpinned), errors.Is(err, ociplugin.ErrPinMismatch):
		return exitUsage
	}
	return exitFailure
}

// isReference tells a plugin reference from a file path, for commands that
// take either: oci://…, or no such file and REGISTRY/REPOSITORY… whose
// registry looks like a host (has a dot or a port, or is localhost).
func isReference(arg string) bool {
	if ociplugin.IsRemote(arg) {
		return true
	}
	if _, err := os.Stat(arg); err == nil {
		return false
	}
	host, _, ok := strings.Cut(arg, "/")
	if !ok || strings.HasPrefix(host, ".") || !(strings.ContainsAny(host, ".:") || host == "localhost") {
		return false
	}
	_, err := ociplugin.ParseRef(arg)
	return err == nil
}
