package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/radiocosmology/alpenhorn-go/internal/testkit/testdb"
)

// jsonType names the JSON type of a decoded value as the schemas in
// docs/observability.md do; "time" is a string in RFC 3339 UTC.
func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case float64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil && strings.HasSuffix(x, "Z") && t.Location() == time.UTC {
			return "time"
		}
		return "string"
	}
	return fmt.Sprintf("%T", v)
}

// shape is an object's fields with their types ("string|null" when the
// types seen differ), for comparing against a schema.
func shape(objs ...map[string]any) map[string]string {
	out := map[string]string{}
	for _, o := range objs {
		for k, v := range o {
			types := strings.Split(out[k], "|")
			if out[k] == "" {
				types = nil
			}
			if t := jsonType(v); !slices.Contains(types, t) {
				types = append(types, t)
				slices.Sort(types)
			}
			out[k] = strings.Join(types, "|")
		}
	}
	return out
}

// TestJSON: each command's --json is one document of the documented shape
// on both engines; -q does not hide it; the text output is untouched
// without it (the other tests).
func TestJSON(t *testing.T) {
	cases := []struct {
		args  []string
		array bool
		n     int // elements of an array
		want  map[string]string
	}{
		{args: []string{"node", "list"}, array: true, n: 4, want: map[string]string{
			"name": "string", "group": "string", "storage_type": "string", "io_class": "null|string", "host": "string",
			"username": "null|string", "address": "null|string", "root": "null|string", "active": "bool", "auto_import": "bool",
			"auto_verify": "number", "max_total_bytes": "null|number", "min_avail_bytes": "number", "avail_bytes": "null|number",
			"avail_checked": "null|time", "notes": "null|string"}},
		{args: []string{"node", "list", "--host", "nowhere"}, array: true, n: 0},
		{args: []string{"node", "stats", "--extra-stats"}, array: true, n: 4, want: map[string]string{
			"name": "string", "file_count": "number", "total_bytes": "number", "percent_full": "null|number",
			"corrupt_files": "number", "suspect_files": "number", "missing_files": "number"}},
		{args: []string{"node", "stats"}, array: true, n: 4, want: map[string]string{
			"name": "string", "file_count": "number", "total_bytes": "number", "percent_full": "null|number",
			"corrupt_files": "null", "suspect_files": "null", "missing_files": "null"}},
		{args: []string{"node", "show", "N2", "--all"}, want: map[string]string{
			"name": "string", "group": "string", "storage_type": "string", "io_class": "string", "host": "string",
			"username": "string", "address": "string", "root": "null", "active": "bool", "auto_import": "bool",
			"auto_verify": "number", "max_total_bytes": "number", "min_avail_bytes": "number", "avail_bytes": "number",
			"avail_checked": "time", "notes": "string", "io_config": "object", "stats": "object", "pending_imports": "array",
			"outbound_transfers": "array", "auto_actions": "array"}},
		{args: []string{"group", "show", "G1", "--transfers"}, want: map[string]string{
			"name": "string", "io_class": "null", "notes": "null", "io_config": "null", "nodes": "array",
			"inbound_transfers": "array", "auto_actions": "null"}},
		{args: []string{"file", "show", "acq2/h1.dat", "--all"}, want: map[string]string{
			"path": "string", "acq": "string", "name": "string", "size_bytes": "number", "md5": "null", "registered": "time",
			"copies": "array", "transfers": "array"}},
		{args: []string{"acq", "show", "acq2", "--show-groups", "--show-nodes"}, want: map[string]string{
			"name": "string", "file_count": "number", "total_bytes": "number", "groups": "array", "nodes": "array"}},
		{args: []string{"acq", "files", "acq2"}, array: true, n: 4, want: map[string]string{
			"name": "string", "size_bytes": "null|number", "md5": "null", "state": "null", "node": "null", "size_on_node_bytes": "null"}},
		{args: []string{"acq", "files", "acq2", "--node", "N1"}, array: true, n: 4, want: map[string]string{
			"name": "string", "size_bytes": "null|number", "md5": "null", "state": "string", "node": "null", "size_on_node_bytes": "null"}},
		{args: []string{"acq", "files", "acq2", "--group", "G1", "--show-removed"}, array: true, n: 4, want: map[string]string{
			"name": "string", "size_bytes": "null|number", "md5": "null", "state": "string", "node": "string", "size_on_node_bytes": "null"}},
		{args: []string{"node", "stats", "--host", "nowhere"}, array: true, n: 0},
		{args: []string{"file", "find", "--node", "N3", "--corrupt"}, array: true, n: 0},
		{args: []string{"group", "list"}, array: true, n: 4, want: map[string]string{"name": "string", "io_class": "null", "notes": "null"}},
		{args: []string{"acq", "list"}, array: true, n: 2, want: map[string]string{"name": "string", "files": "number"}},
		{args: []string{"file", "list"}, array: true, n: 6, want: map[string]string{
			"path": "string", "acq": "string", "name": "string", "size_bytes": "null|number", "md5": "null", "registered": "time"}},
		{args: []string{"file", "list", "--group", "GA", "--absent-group", "GA", "--all"}, array: true, n: 0},
		{args: []string{"file", "find", "--corrupt", "--suspect", "--missing", "--healthy"}, array: true, n: 11, want: map[string]string{
			"file": "string", "node": "string", "state": "string", "has_file": "string", "wants_file": "string"}},
		{args: []string{"file", "state", "acq2/old.dat", "N1"}, want: map[string]string{
			"file": "string", "node": "string", "state": "string", "has_file": "string", "wants_file": "string",
			"ready": "bool", "size_bytes": "null", "last_update": "time"}},
		{args: []string{"file", "state", "acq2/old.dat", "A1"}, want: map[string]string{
			"file": "string", "node": "string", "state": "string", "has_file": "null", "wants_file": "null",
			"ready": "null", "size_bytes": "null", "last_update": "null"}},
	}
	testdb.Engines(t, func(t *testing.T, url string) {
		x := newBulkIndex(t, url)
		for _, c := range cases {
			args := append([]string{"-q", "--json"}, c.args...)
			r := run(t, x.url, "", args...)
			if r.code != 0 || r.stderr != "" {
				t.Errorf("%v: exit %d: %s", args, r.code, r.stderr)
				continue
			}
			var objs []map[string]any
			if c.array {
				if err := json.Unmarshal([]byte(r.stdout), &objs); err != nil || objs == nil {
					t.Errorf("%v: not one array (%v):\n%s", args, err, r.stdout)
					continue
				}
				if len(objs) != c.n {
					t.Errorf("%v: %d elements, want %d", args, len(objs), c.n)
				}
			} else {
				var o map[string]any
				if err := json.Unmarshal([]byte(r.stdout), &o); err != nil {
					t.Errorf("%v: not one object (%v):\n%s", args, err, r.stdout)
					continue
				}
				objs = []map[string]any{o}
			}
			if len(objs) == 0 {
				continue
			}
			got := shape(objs...)
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("%v: field %s is %q, want %q", args, k, got[k], v)
				}
			}
			for k := range got {
				if _, ok := c.want[k]; !ok {
					t.Errorf("%v: undocumented field %s", args, k)
				}
			}
		}

		// Values, not only types: bytes, not GiB; state words as in text.
		var stats []map[string]any
		r := run(t, x.url, "", "--json", "node", "stats")
		json.Unmarshal([]byte(r.stdout), &stats)
		var state map[string]any
		r = run(t, x.url, "", "--json", "file", "state", "acq2/old.dat", "N1")
		json.Unmarshal([]byte(r.stdout), &state)
		if state["state"] != "Suspect" || state["has_file"] != "M" || state["file"] != "acq2/old.dat" {
			t.Errorf("file state: %v", state)
		}
		for _, s := range stats {
			if s["name"] == "N1" && s["total_bytes"].(float64) == 0 {
				t.Errorf("node stats N1: %v", s)
			}
		}
	})
}

// TestCheckStatus: --check exits 3 when there is work and 0 when there is
// none; the check mode forced by a file list on stdin exits 0, and the
// --check-status option of earlier versions is gone.
func TestCheckStatus(t *testing.T) {
	testdb.Engines(t, func(t *testing.T, url string) {
		x := newBulkIndex(t, url)
		for _, c := range []struct {
			stdin string
			args  []string
			code  int
		}{
			{"", []string{"node", "verify", "N1", "--all", "--check"}, ExitWorkToDo},
			{"acq2/h1.dat\n", []string{"node", "verify", "N1", "--all", "-F", "-"}, 0},
			{"", []string{"node", "sync", "A1", "GA", "--check"}, 0},
			{"", []string{"node", "sync", "N1", "GA", "--check"}, ExitWorkToDo},
			{"acq2/h1.dat\n", []string{"node", "sync", "N1", "GA", "-F", "-"}, 0},
			{"", []string{"--check-status", "node", "sync", "N1", "GA", "--check"}, 2},
		} {
			if r := run(t, x.url, c.stdin, c.args...); r.code != c.code {
				t.Errorf("%v: exit %d, want %d\n%s%s", c.args, r.code, c.code, r.stdout, r.stderr)
			}
		}
	})
}
