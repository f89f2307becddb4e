package main

import (
	"errors"
	"path/filepath"
	"runtime"
)

// userCacheDir is os.UserCacheDir over the environment getenv reads rather
// than the process's, so that a run's environment is a value like its
// streams: the same directory, from the same variables, per platform.
func userCacheDir(getenv func(string) string) (string, error) {
	switch runtime.GOOS {
	case "windows":
		if dir := getenv("LocalAppData"); dir != "" {
			return dir, nil
		}
		return "", errors.New("%LocalAppData% is not defined")
	case "darwin", "ios":
		if home := getenv("HOME"); home != "" {
			return home + "/Library/Caches", nil
		}
		return "", errors.New("$HOME is not defined")
	case "plan9":
		if home := getenv("home"); home != "" {
			return home + "/lib/cache", nil
		}
		return "", errors.New("$home is not defined")
	}
	if dir := getenv("XDG_CACHE_HOME"); dir != "" {
		if !filepath.IsAbs(dir) {
			return "", errors.New("path in $XDG_CACHE_HOME is relative")
		}
		return dir, nil
	}
	if home := getenv("HOME"); home != "" {
		return home + "/.cache", nil
	}
	return "", errors.New("neither $XDG_CACHE_HOME nor $HOME are defined")
}
