package cli

import (
	"strings"

	"github.com/spf13/cobra"
	"gorm.io/gorm"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/format"
	"github.com/radiocosmology/alpenhorn-go/internal/index"
)

func init() { register("file", fileShowCommand) }

func fileShowCommand(a *App) *cobra.Command {
	var all, groups, nodes, transfers bool
	cmd := leaf("show FILE", "Show a file's details", func(cmd *cobra.Command, args []string) error {
		if all {
			groups, nodes, transfers = true, true, true
		}
		d, g, err := a.read(cmd)
		if err != nil {
			return err
		}
		file, err := resolveFile(d, g, args[0])
		if err != nil {
			return err
		}
		if a.json {
			return a.emitDoc(fileShowDoc(g, file, nodes, transfers))
		}
		size, md5 := "unknown", "-"
		if file.SizeB != nil {
			size = format.BytesInt(*file.SizeB)
		}
		if file.MD5Sum != nil {
			md5 = strings.ToLower(*file.MD5Sum)
		}
		a.Echo("       Name: %s", file.Name)
		a.Echo("Acquisition: %s", file.Acq.Name)
		a.Echo("       Path: %s/%s", file.Acq.Name, file.Name)
		a.Echo("")
		a.Echo("       Size: %s", size)
		a.Echo("   MD5 Hash: %s", md5)
		a.Echo(" Registered: %s", format.Ctime(&file.Registered.Time))
		for _, s := range []struct {
			on   bool
			show func(*App, *gorm.DB, int64) error
		}{{groups, showFileGroups}, {nodes, showFileNodes}, {transfers, showFileTransfers}} {
			if s.on {
				if err := s.show(a, g, file.ID); err != nil {
					return err
				}
			}
		}
		return nil
	})
	f := cmd.Flags()
	f.BoolVarP(&all, "all", "a", false, "show everything: --groups, --nodes and --transfers")
	f.BoolVar(&groups, "groups", false, "show the file's state in each group holding a copy")
	f.BoolVar(&nodes, "nodes", false, "show the file's state on each node holding a copy")
	f.BoolVar(&transfers, "transfers", false, "show the file's transfer requests")
	return cmd
}

// showFileGroups lists every group with a node that has any record of the
// file, even of a removed copy.
func showFileGroups(a *App, g *gorm.DB, fileID int64) error {
	a.Echo("\nGroup status\n")
	copies, err := index.FileCopiesByGroup(g, fileID)
	if err != nil {
		return err
	}
	states, order := index.FoldGroupStates(copies, byGroup)
	if len(order) == 0 {
		a.Echo("No extant copies.")
		return nil
	}
	names, err := index.GroupNames(g, order)
	if err != nil {
		return err
	}
	rows := make([][]any, len(order))
	for i, id := range order {
		s := states[id]
		rows[i] = []any{names[id], groupWords[s.State()], nodeName(*s)}
	}
	a.Echo("%s", format.Table{Headers: []string{"Group", "State", "Node"}, Rows: rows})
	return nil
}

func showFileNodes(a *App, g *gorm.DB, fileID int64) error {
	a.Echo("\nNode status:\n")
	copies, err := index.FileCopies(g, fileID)
	if err != nil {
		return err
	}
	if len(copies) == 0 {
		a.Echo("No extant copies.")
		return nil
	}
	rows := make([][]any, len(copies))
	for i, c := range copies {
		// A size is only meaningful for a copy that is there.
		size := "-"
		if c.HasFile == db.HasYes || c.HasFile == db.HasMaybe {
			size = format.Bytes(c.SizeB)
		}
		rows[i] = []any{c.Node.Name, c.State(), size}
	}
	a.Echo("%s", format.Table{Headers: []string{"Node", "State", "Size on Node"}, Rows: rows})
	return nil
}

func showFileTransfers(a *App, g *gorm.DB, fileID int64) error {
	a.Echo("\nTransfer requests:\n")
	reqs, err := index.FileTransfers(g, fileID)
	if err != nil {
		return err
	}
	if len(reqs) == 0 {
		a.Echo("No transfers")
		return nil
	}
	rows := make([][]any, len(reqs))
	for i, r := range reqs {
		status := "Pending"
		switch {
		case r.Completed:
			status = "Complete"
		case r.Cancelled:
			status = "Cancelled"
		}
		rows[i] = []any{r.NodeFrom.Name, r.GroupTo.Name, status, requestTime(r.Timestamp), requestTime(r.TransferStarted), requestTime(r.TransferCompleted)}
	}
	headers := []string{"Source Node", "Dest. Group", "Status", "Request Time", "Start Time", "Completion Time"}
	a.Echo("%s", format.Table{Headers: headers, Rows: rows})
	return nil
}

// requestTime formats one of a transfer request's nullable timestamps.
func requestTime(t *db.Time) string {
	if t == nil {
		return format.Ctime(nil)
	}
	return format.Ctime(&t.Time)
}
