package shopsvc

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Flags is a command line whose flags may take their defaults from
// environment variables, so that a configuration can set a service's knobs by
// environment alone. A flag given on the command line wins over its variable.
type Flags struct {
	*flag.FlagSet
	envs []envFlag
}

type envFlag struct{ flag, env string }

// NewFlags returns the flags of the command named name; usage and parse
// errors go to stderr.
func NewFlags(name string, stderr io.Writer) *Flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return &Flags{FlagSet: fs}
}

// Env makes the environment variable env give the default of the flag named
// name, which must already be defined, and says so in the flag's usage.
func (f *Flags) Env(name, env string) {
	fl := f.Lookup(name)
	if fl == nil {
		panic("shopsvc: Env of undefined flag -" + name)
	}
	fl.Usage += fmt.Sprintf(" (env %s)", env)
	f.envs = append(f.envs, envFlag{flag: name, env: env})
}

// ParseEnv sets every flag tied to a variable that getenv reports non-empty,
// then parses args. A variable whose value the flag rejects is an error.
func (f *Flags) ParseEnv(args []string, getenv func(string) string) error {
	for _, e := range f.envs {
		v := getenv(e.env)
		if v == "" {
			continue
		}
		if err := f.Set(e.flag, v); err != nil {
			return fmt.Errorf("environment %s=%q for -%s: %w", e.env, v, e.flag, err)
		}
	}
	if err := f.Parse(args); err != nil {
		return err
	}
	if f.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", f.Args())
	}
	return nil
}

// OnOff is a boolean flag.Value spelled "on" or "off".
type OnOff bool

// String returns "on" or "off".
func (v *OnOff) String() string {
	if v != nil && *v {
		return "on"
	}
	return "off"
}

// Set accepts "on" or "off".
func (v *OnOff) Set(s string) error {
	switch s {
	case "on":
		*v = true
	case "off":
		*v = false
	default:
		return fmt.Errorf("want on or off, not %q", s)
	}
	return nil
}

// Exit returns the process exit code for err, the result of a service's run,
// after reporting a non-nil err on stderr as one line "service: err" (the
// errors of an errors.Join separated by "; "): 0 for nil or a request for
// -help, 2 for anything else (a bad flag, variable or address, a failure to
// serve, or profiles not delivered at shutdown).
func Exit(service string, err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	default:
		fmt.Fprintf(stderr, "%s: %s\n", service, strings.ReplaceAll(err.Error(), "\n", "; "))
		return 2
	}
}
