package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// positional returns an Args validator for the metavars named in cmd.Use:
// required ones plain (NODE), optional ones bracketed ([PATH]).
func positional(cmd *cobra.Command, args []string) error {
	_, spec, _ := strings.Cut(cmd.Use, " ")
	names := strings.Fields(spec)
	required := 0
	variadic := false
	for _, n := range names {
		if strings.HasSuffix(n, "...") || strings.HasSuffix(n, "...]") {
			variadic = true
		}
		if !strings.HasPrefix(n, "[") {
			required++
		}
	}
	if len(args) < required {
		return usageErrorf(cmd, "Missing argument '%s'.", strings.TrimSuffix(names[len(args)], "..."))
	}
	if !variadic && len(args) > len(names) {
		extra := args[len(names):]
		if len(extra) == 1 {
			return usageErrorf(cmd, "Got unexpected extra argument (%s)", extra[0])
		}
		return usageErrorf(cmd, "Got unexpected extra arguments (%s)", strings.Join(extra, " "))
	}
	return nil
}

// flagError translates the flag parser's errors into click's wording.
func flagError(cmd *cobra.Command, err error) error {
	var notExist *pflag.NotExistError
	var required *pflag.ValueRequiredError
	var invalid *pflag.InvalidValueError
	switch {
	case errors.As(err, &notExist):
		name := "--" + notExist.GetSpecifiedName()
		if s := notExist.GetSpecifiedShortnames(); s != "" {
			name = "-" + string(s[0])
		}
		return usageErrorf(cmd, "No such option: %s", name)
	case errors.As(err, &required):
		return &UsageError{Cmd: cmd, Msg: fmt.Sprintf("Option '%s' requires an argument.", flagDisplay(required.GetFlag(), true)), Bare: true}
	case errors.As(err, &invalid):
		f := invalid.GetFlag()
		if f.Value.Type() == "bool" {
			return &UsageError{Cmd: cmd, Msg: fmt.Sprintf("Option '--%s' does not take a value.", f.Name), Bare: true}
		}
		return usageErrorf(cmd, "Invalid value for %s: %s", flagDisplay(f, false), errors.Unwrap(invalid))
	}
	return usageErrorf(cmd, "%s", err)
}

// flagDisplay names a flag as click does: '--days' / '-d', or just '--size'.
func flagDisplay(f *pflag.Flag, longOnly bool) string {
	if longOnly || f.Shorthand == "" {
		if longOnly {
			return "--" + f.Name
		}
		return "'--" + f.Name + "'"
	}
	return fmt.Sprintf("'--%s' / '-%s'", f.Name, f.Shorthand)
}

// parsePyInt accepts what Python's int() does for base 10: surrounding
// blanks, a sign, and underscores between digits.
func parsePyInt(s string) (int64, error) {
	t, ok := pyDigits(strings.TrimSpace(s))
	if !ok {
		return 0, fmt.Errorf("'%s' is not a valid integer.", s)
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("'%s' is not a valid integer.", s)
	}
	return v, nil
}

// parsePyFloat accepts what Python's float() does, including inf and nan.
func parsePyFloat(s string) (float64, error) {
	t := strings.TrimSpace(s)
	switch strings.ToLower(strings.TrimLeft(t, "+-")) {
	case "inf", "infinity", "nan":
		v, _ := strconv.ParseFloat(t, 64)
		return v, nil
	}
	if u, ok := pyDigits(t); ok || !strings.Contains(t, "_") {
		if ok {
			t = u
		}
		if v, err := strconv.ParseFloat(t, 64); err == nil && !strings.ContainsAny(t, "xXpP") {
			return v, nil
		}
	}
	return 0, fmt.Errorf("'%s' is not a valid float.", s)
}

// pyDigits removes underscores that stand between two digits and reports
// whether every underscore was so placed.
func pyDigits(s string) (string, bool) {
	if !strings.Contains(s, "_") {
		return s, s != ""
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '_' {
			if i == 0 || i == len(s)-1 || !isDigit(s[i-1]) || !isDigit(s[i+1]) {
				return "", false
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String(), true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// intValue is an optional integer option parsed with Python's rules.
type intValue struct {
	v   int64
	set bool
}

func (i *intValue) String() string {
	if !i.set {
		return ""
	}
	return strconv.FormatInt(i.v, 10)
}
func (i *intValue) Set(s string) error {
	v, err := parsePyInt(s)
	if err != nil {
		return err
	}
	i.v, i.set = v, true
	return nil
}
func (i *intValue) Type() string { return "int" }

// floatValue is an optional float option parsed with Python's rules.
type floatValue struct {
	v   float64
	set bool
}

func (f *floatValue) String() string {
	if !f.set {
		return ""
	}
	return strconv.FormatFloat(f.v, 'g', -1, 64)
}
func (f *floatValue) Set(s string) error {
	v, err := parsePyFloat(s)
	if err != nil {
		return err
	}
	f.v, f.set = v, true
	return nil
}
func (f *floatValue) Type() string { return "float" }

// stringValue is an optional string option that remembers whether it was
// given, because an empty string means "clear" and absence means "keep".
type stringValue struct {
	v   string
	set bool
}

func (s *stringValue) String() string     { return s.v }
func (s *stringValue) Set(v string) error { s.v, s.set = v, true; return nil }
func (s *stringValue) Type() string       { return "string" }

// Ptr returns nil when the option was not given.
func (s *stringValue) Ptr() *string {
	if !s.set {
		return nil
	}
	v := s.v
	return &v
}

// Option-combination checks, with click's messages (usage errors).

func notBoth(cmd *cobra.Command, a string, aSet bool, b string, bSet bool) error {
	if aSet && bSet {
		return usageErrorf(cmd, "cannot use both --%s and --%s", a, b)
	}
	return nil
}

func bothOrNeither(cmd *cobra.Command, a string, aSet bool, b string, bSet bool) error {
	if aSet != bSet {
		return usageErrorf(cmd, "--%s and --%s must be used together", a, b)
	}
	return nil
}

func atLeastOne(cmd *cobra.Command, a string, aSet bool, b string, bSet bool) error {
	if !aSet && !bSet {
		return usageErrorf(cmd, "missing --%s or --%s", a, b)
	}
	return nil
}

func exactlyOne(cmd *cobra.Command, a string, aSet bool, b string, bSet bool) error {
	if err := notBoth(cmd, a, aSet, b, bSet); err != nil {
		return err
	}
	return atLeastOne(cmd, a, aSet, b, bSet)
}

func requires(cmd *cobra.Command, a string, aSet bool, b string, bSet bool) error {
	if aSet && !bSet {
		return usageErrorf(cmd, "--%s may only be used with --%s", a, b)
	}
	return nil
}
