package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// buildVersion is what `herken version` reports, from the build info the
// Go toolchain embeds (module version, VCS revision and time).
type buildVersion struct {
	Module    string `json:"module"`
	Version   string `json:"version"`
	Revision  string `json:"revision,omitempty"`
	Time      string `json:"time,omitempty"`
	Modified  bool   `json:"modified,omitempty"`
	GoVersion string `json:"go_version"`
}

func readVersion() buildVersion {
	v := buildVersion{Module: "github.com/herken/herken", Version: "(devel)", GoVersion: runtime.Version()}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if info.Main.Path != "" {
		v.Module = info.Main.Path
	}
	if info.Main.Version != "" {
		v.Version = info.Main.Version
	}
	if info.GoVersion != "" {
		v.GoVersion = info.GoVersion
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

func (v buildVersion) String() string {
	s := fmt.Sprintf("herken %s", v.Version)
	if v.Revision != "" {
		rev := v.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		s += " (" + rev
		if v.Modified {
			s += ", modified"
		}
		if v.Time != "" {
			s += ", " + v.Time
		}
		s += ")"
	}
	return s + ", " + v.GoVersion
}

func versionCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCmdline(cmdSpec{
		name: "version", args: "[--json]",
		about: `Prints herken's module version, the VCS revision it was built from (with
"modified" for uncommitted changes) and the Go version. "(devel)" is a build
from a source tree (go build, go run) rather than a released module.`,
		examples: `herken version
herken version --json`,
	}, stdout, stderr)
	var asJSON bool
	c.fs.BoolVar(&asJSON, "json", false, "print as JSON")
	if err := c.parse(args); err != nil {
		return err
	}
	if err := c.wantArgs(0, 0); err != nil {
		return err
	}
	v := readVersion()
	if asJSON {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, string(b))
		return err
	}
	_, err := fmt.Fprintln(stdout, v)
	return err
}
