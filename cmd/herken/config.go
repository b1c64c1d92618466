package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

var errUsage = errors.New("usage")

// envFlags registers flags whose defaults come from HERKEN_* variables, so
// every flag can be set either way (the flag wins). Bad values in the
// environment are reported, not ignored.
type envFlags struct {
	fs   *flag.FlagSet
	errs []error
}

func envName(flagName string) string {
	return "HERKEN_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (e *envFlags) usage(name, help string) string {
	return fmt.Sprintf("%s (env %s)", help, envName(name))
}

func (e *envFlags) String(p *string, name, def, help string) {
	if v, ok := os.LookupEnv(envName(name)); ok {
		def = v
	}
	e.fs.StringVar(p, name, def, e.usage(name, help))
}

func (e *envFlags) Bool(p *bool, name string, def bool, help string) {
	if v, ok := os.LookupEnv(envName(name)); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			e.errs = append(e.errs, fmt.Errorf("%s: %q is not a boolean", envName(name), v))
		}
		def = b
	}
	e.fs.BoolVar(p, name, def, e.usage(name, help))
}

func (e *envFlags) Int(p *int, name string, def int, help string) {
	if v, ok := os.LookupEnv(envName(name)); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			e.errs = append(e.errs, fmt.Errorf("%s: %q is not an integer", envName(name), v))
		}
		def = n
	}
	e.fs.IntVar(p, name, def, e.usage(name, help))
}

func (e *envFlags) Duration(p *time.Duration, name string, def time.Duration, help string) {
	if v, ok := os.LookupEnv(envName(name)); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			e.errs = append(e.errs, fmt.Errorf("%s: %q is not a duration", envName(name), v))
		}
		def = d
	}
	e.fs.DurationVar(p, name, def, e.usage(name, help))
}

// parse parses args; -h prints usage and returns errUsage.
func (e *envFlags) parse(args []string) error {
	if err := e.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errUsage
		}
		return errUsage
	}
	return errors.Join(e.errs...)
}

func (e *envFlags) Float(p *float64, name string, def float64, help string) {
	if v, ok := os.LookupEnv(envName(name)); ok {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			e.errs = append(e.errs, fmt.Errorf("%s: %q is not a number", envName(name), v))
		}
		def = f
	}
	e.fs.Float64Var(p, name, def, e.usage(name, help))
}
