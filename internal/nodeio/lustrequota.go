package nodeio

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/radiocosmology/alpenhorn-go/internal/db"
	"github.com/radiocosmology/alpenhorn-go/internal/logging"
	"github.com/radiocosmology/alpenhorn-go/internal/scheduler"
)

// LustreQuotaModule is the LustreQuota I/O class: a Default node whose free
// space is what is left of a quota on a Lustre filesystem, as `lfs quota`
// reports it, rather than the filesystem's free space.
var LustreQuotaModule = &Module{
	Class: "LustreQuota",
	NewNode: func(env *Env, node *db.StorageNode, config map[string]any, fifo *scheduler.FIFO) (NodeIO, error) {
		q, err := NewLustreQuotaNode(env, node, config, fifo)
		if err != nil {
			return nil, err
		}
		return q, nil
	},
	NewRemote: DefaultModule.NewRemote,
}

// LustreQuotaNode is the LustreQuota node I/O class.
//
// io_config: quota_id (required: a user, uid, group, gid or project id),
// quota_type (required: "user", "group" or "project"), fixed_quota (kiB,
// replacing the limit lfs reports, which it cannot when the id has the
// filesystem's default quota), lfs (the executable, default "lfs") and
// lfs_timeout (seconds per invocation, default 60). The deprecated
// quota_group stands for a group quota_id.
type LustreQuotaNode struct {
	*DefaultNode
	lfs *LFS
}

// NewLustreQuotaNode returns the LustreQuota I/O instance of node, or an
// error saying what is wrong with its io_config.
func NewLustreQuotaNode(env *Env, node *db.StorageNode, config map[string]any, fifo *scheduler.FIFO) (*LustreQuotaNode, error) {
	lfs, err := lfsFromConfig(node, config)
	if err != nil {
		return nil, err
	}
	q := &LustreQuotaNode{DefaultNode: NewDefaultNode(env, node, fifo), lfs: lfs}
	q.outer = q
	return q, nil
}

// lfsFromConfig builds the lfs wrapper a Lustre node's io_config describes.
func lfsFromConfig(node *db.StorageNode, config map[string]any) (*LFS, error) {
	id, typ := config["quota_id"], config["quota_type"]
	if id == nil || typ == nil {
		if group, ok := config["quota_group"]; ok {
			id, typ = group, "group"
			logging.Named(logging.LoggerIOLustreQuota).Warnf("Using deprecated 'quota_group' in StorageNode %s io_config", node.Name)
		}
		if id == nil {
			return nil, fmt.Errorf("\"quota_id\" missing from StorageNode %s io_config", node.Name)
		}
		if typ == nil {
			return nil, fmt.Errorf("\"quota_type\" missing from StorageNode %s io_config", node.Name)
		}
	}
	switch id.(type) {
	case string, float64:
	default:
		return nil, fmt.Errorf("io_config key 'quota_id' must be a string or a number (=%s)", configText(id))
	}
	typeName, ok := typ.(string)
	if !ok {
		return nil, fmt.Errorf("invalid quota_type: %s", configText(typ))
	}

	var fixed *int64
	if v, set, err := configNumber(config, "fixed_quota"); err != nil {
		return nil, err
	} else if set {
		if v != math.Trunc(v) || math.Abs(v) >= 1<<53 {
			return nil, fmt.Errorf("io_config key 'fixed_quota' must be a whole number of kiB (=%s)", configText(v))
		}
		n := int64(v)
		fixed = &n
	}

	cmd := "lfs"
	if v, ok := config["lfs"]; ok && v != nil {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("io_config key 'lfs' must be a string (=%s)", configText(v))
		}
		cmd = s
	}

	timeout := lfsDefaultTimeout
	if v, set, err := configNumber(config, "lfs_timeout"); err != nil {
		return nil, err
	} else if set {
		timeout = v
	}
	return NewLFS(configText(id), typeName, fixed, cmd, timeout)
}

// BytesAvail is the quota left. A fast measurement is refused: lfs quota
// can be slow, and its answer is not needed after every pull.
func (q *LustreQuotaNode) BytesAvail(ctx context.Context, fast bool) (int64, bool) {
	if fast {
		return 0, false
	}
	return q.lfs.QuotaRemaining(ctx, q.root())
}

// configNumber returns the number io_config sets for key; set is false
// when the key is absent or null.
func configNumber(config map[string]any, key string) (v float64, set bool, err error) {
	raw, ok := config[key]
	if !ok || raw == nil {
		return 0, false, nil
	}
	v, ok = raw.(float64)
	if !ok {
		return 0, false, fmt.Errorf("io_config key '%s' must be a number (=%s)", key, configText(raw))
	}
	return v, true, nil
}

// configInt returns the integer io_config sets for key, or def when the
// key is absent or null. Like Python's int(), it accepts a number, whose
// fraction is dropped, or the text of an integer.
func configInt(config map[string]any, key string, def int64) (int64, error) {
	raw, ok := config[key]
	if !ok || raw == nil {
		return def, nil
	}
	switch v := raw.(type) {
	case float64:
		if math.Abs(v) < 1<<63 {
			return int64(v), nil
		}
	case string:
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			return n, nil
		}
	}
	return 0, fmt.Errorf("io_config key '%s' must be an integer (=%s)", key, configText(raw))
}

// configText shows an io_config value as Python's str() would: in messages
// and, for quota_id, on the lfs command line.
func configText(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return strconv.FormatInt(int64(x), 10)
		}
		return pyNumber(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
