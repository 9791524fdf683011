package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/config"
	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
)

// App is one invocation of the alpenhorn command: its streams, global
// options and, once a command needs them, the configuration and database.
type App struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer

	verbosity     int
	testIsolation bool
	confFile      string
	// json asks the list, show, stats, find and state commands for one
	// JSON document instead of text.
	json bool

	stdin *bufio.Reader
	cfg   *config.Config
	index *db.DB
}

// Echo prints normal command output, which -q suppresses.
func (a *App) Echo(format string, args ...any) {
	if a.verbosity >= 3 {
		fmt.Fprintf(a.Stdout, format+"\n", args...)
	}
}

// Print writes output that -q does not suppress (prompts, db init's messages).
func (a *App) Print(format string, args ...any) { fmt.Fprintf(a.Stdout, format+"\n", args...) }

// Config loads the configuration files on first use.
func (a *App) Config() (*config.Config, error) {
	if a.cfg != nil {
		return a.cfg, nil
	}
	cfg, err := config.Load(config.Options{TestIsolation: a.testIsolation, ConfFile: a.confFile}, logging.CLILogf)
	if err != nil {
		return nil, err
	}
	a.cfg = cfg
	return cfg, nil
}

// DB opens the data index; with check set it also insists on the schema
// version this alpenhorn supports.
func (a *App) DB(ctx context.Context, check bool) (*db.DB, error) {
	if a.index == nil {
		cfg, err := a.Config()
		if err != nil {
			return nil, err
		}
		d, err := openIndex(ctx, cfg)
		if err != nil {
			if errors.Is(err, db.ErrNoDatabase) || errors.Is(err, db.ErrConnectFailed) {
				return nil, fmt.Errorf("Unable to connect to the database: %s\nSee --help-config for more details.", err)
			}
			return nil, err
		}
		// A data index on several servers reports a move to another.
		d.OnFailover = func(_ context.Context, from, to string, err error) {
			fmt.Fprintln(a.Stderr, db.FailoverMessage(from, to, d.Redact(fmt.Sprint(err))))
		}
		limit, err := cfg.WaitLimit()
		if err != nil {
			d.Close()
			return nil, err
		}
		d.SetWaitLimit(limit)
		// Statements wait for a data index that is unreachable or locked
		// (db.Retry): say so, once, rather than seem to hang.
		d.OnUnavailable = func(_ context.Context, err error) {
			fmt.Fprintln(a.Stderr, db.WaitingMessage(d.Where(), d.Redact(err.Error()), limit))
		}
		a.index = d
	}
	if check {
		if err := a.index.CheckSchema(ctx); err != nil {
			return nil, err
		}
	}
	return a.index, nil
}

// read opens the data index for a command that only reads it, and returns
// it with a session bound to the command's context.
func (a *App) read(cmd *cobra.Command) (*db.DB, *gorm.DB, error) {
	ctx := cmd.Context()
	d, err := a.DB(ctx, true)
	if err != nil {
		return nil, nil, err
	}
	return d, d.Gorm.WithContext(ctx), nil
}

// write opens the data index and runs fn in one transaction. The message
// fn returns (one line or several) is printed only once the transaction
// has committed, so that a transaction retried after a lost connection
// prints it once.
func (a *App) write(cmd *cobra.Command, fn func(d *db.DB, tx *gorm.DB) (string, error)) error {
	ctx := cmd.Context()
	d, err := a.DB(ctx, true)
	if err != nil {
		return err
	}
	var msg string
	err = d.Transaction(ctx, func(tx *gorm.DB) error {
		var err error
		msg, err = fn(d, tx)
		return err
	})
	if err != nil {
		return err
	}
	a.Echo("%s", msg)
	return nil
}

// redact hides database credentials in anything printed.
func (a *App) redact(msg string) string {
	if a.index != nil {
		return a.index.Redact(msg)
	}
	return config.MaskPassword(msg)
}

// Confirm asks "Continue? [y/N]: " until it gets an answer. End of input
// aborts the command.
func (a *App) Confirm() (bool, error) {
	if a.stdin == nil {
		a.stdin = bufio.NewReader(a.Stdin)
	}
	for {
		fmt.Fprint(a.Stdout, "Continue? [y/N]: ")
		line, err := a.stdin.ReadString('\n')
		if err != nil && line == "" {
			fmt.Fprintln(a.Stdout)
			return false, errAborted
		}
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "y", "yes":
			return true, nil
		case "", "n", "no":
			return false, nil
		}
		fmt.Fprintln(a.Stdout, "Error: invalid input")
	}
}

// close releases the database connection.
func (a *App) close() {
	if a.index != nil {
		a.index.Close()
	}
}
