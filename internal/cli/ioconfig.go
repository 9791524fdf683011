package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/radiocosmology/alpenhorn-go/internal/format"
)

// ioConfigEdit is what --io-config and --io-var ask of an I/O config: a
// new starting object (or the stored one when --io-config is absent),
// then each VAR=VALUE in command-line order.
type ioConfigEdit struct {
	config stringValue
	vars   []string
}

func (e *ioConfigEdit) flags(cmd *cobra.Command) {
	cmd.Flags().Var(&e.config, "io-config", "set the I/O config to the JSON object literal `CONFIG` (--io-config= empties it); --io-var edits it further")
	cmd.Flags().StringArrayVar(&e.vars, "io-var", nil, "set the I/O config variable named in `VAR=VALUE` to VALUE; an empty VALUE removes it (repeatable)")
}

// given reports whether either option was used.
func (e *ioConfigEdit) given() bool { return e.config.set || len(e.vars) > 0 }

// compose applies the edit to stored (the column's current value; nil for
// a new row) and returns the column's new value: nil when the result is
// empty, else the JSON text as alpenhorn writes it. The stored text is
// decoded only when --io-var edits it, so a damaged stored config stands in
// the way only of edits that need it. Without either option, stored comes
// back as it is.
func (e *ioConfigEdit) compose(stored *string) (*string, error) {
	if !e.given() {
		return stored, nil
	}
	obj := format.NewObject()
	switch {
	case e.config.set && e.config.v != "":
		var err error
		if obj, err = format.ParseObject(e.config.v); err != nil {
			if errors.Is(err, format.ErrNotObject) {
				return nil, errors.New("Argument to --io-config must be a JSON object literal.")
			}
			return nil, errors.New("Unable to parse --io-config value as JSON.")
		}
	case !e.config.set && stored != nil && *stored != "":
		v, err := format.ParseJSON(*stored)
		if err != nil {
			return nil, fmt.Errorf("Invalid I/O config in database: %s.", *stored)
		}
		switch v := v.(type) {
		case *format.OrderedObject:
			obj = v
		case nil:
			// JSON null is what alpenhorn once wrote for an emptied config.
		default:
			return nil, fmt.Errorf("Invalid I/O config in database: %s.", *stored)
		}
	}
	for _, arg := range e.vars {
		key, value, ok := strings.Cut(arg, "=")
		if !ok {
			return nil, fmt.Errorf("Missing equals sign in \"--io-var=%s\"", arg)
		}
		if value == "" {
			obj.Delete(key)
			continue
		}
		obj.Set(key, format.ParseIOVarValue(value))
	}
	if obj.Len() == 0 {
		return nil, nil
	}
	text := obj.PythonJSON()
	return &text, nil
}

// ioConfigDiffers reports whether storing next over stored changes the I/O
// config. Texts are compared in alpenhorn's serialisation, so a stored
// config differing only in spacing counts as unchanged.
func ioConfigDiffers(next, stored *string) bool {
	if next == nil || stored == nil {
		return next != stored
	}
	v, err := format.ParseJSON(*stored)
	return err != nil || format.PythonJSON(v) != *next
}

// commonSettings are the options that set what groups and nodes both have:
// --class, --notes, --io-config and --io-var.
type commonSettings struct {
	class, notes stringValue
	io           ioConfigEdit
}

// flags registers the options; the help of --class and --notes differs
// between commands.
func (s *commonSettings) flags(cmd *cobra.Command, classHelp, notesHelp string) {
	cmd.Flags().VarP(&s.class, "class", "i", classHelp)
	s.io.flags(cmd)
	cmd.Flags().Var(&s.notes, "notes", notesHelp)
}

// collect records in updates what the options change in a row's stored
// I/O class, notes and I/O config.
func (s *commonSettings) collect(updates map[string]any, class, notes, ioConfig *string) error {
	next, err := s.io.compose(ioConfig)
	if err != nil {
		return err
	}
	updateOrClear(updates, "io_class", &s.class, class)
	updateOrClear(updates, "notes", &s.notes, notes)
	if s.io.given() && ioConfigDiffers(next, ioConfig) {
		updates["io_config"] = next
	}
	return nil
}
