package command

import (
	"context"
	"fmt"
	"io"

	"github.com/radiocosmology/alpenhorn-go/internal/config"
	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/extension"
)

// checkConfig reads and validates the configuration as the daemon would at
// start-up, without connecting to anything, and prints it merged: 0 when
// the daemon would accept it, 1 when not. Unknown keys are warnings only.
func checkConfig(opts config.Options, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return 1
	}
	logf := func(level, format string, args ...any) {
		if level != "INFO" {
			fmt.Fprintf(stderr, "%s: %s\n", level, fmt.Sprintf(format, args...))
		}
	}
	c, err := config.Load(opts, logf)
	if err != nil {
		return fail(err)
	}
	d, err := c.Daemon()
	if err != nil {
		return fail(err)
	}
	url, err := c.DatabaseURL()
	if err != nil {
		return fail(err)
	}
	set, err := extension.Load(context.Background(), d.Extensions, c.Raw())
	if err != nil {
		return fail(err)
	}
	if set.Database(context.Background()) == nil {
		if err := db.CheckURL(url); err != nil {
			return fail(fmt.Errorf("database.url: %v", err))
		}
	}
	text, err := c.Show(d)
	if err != nil {
		return fail(err)
	}
	fmt.Fprint(stdout, text)
	return 0
}
