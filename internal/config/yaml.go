package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Alpenhorn's config files have always been read by a YAML 1.1 loader, so
// plain scalars such as `yes`, `off`, `0755` or `1_000` keep their YAML 1.1
// meaning here. yaml.v3 follows YAML 1.2, hence the resolution below works
// on the node tree rather than on yaml.v3's decoded values.
var (
	yamlBool  = regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)
	yamlNull  = regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)
	yamlInt   = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	yamlFloat = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
)

// parseYAML turns one YAML document into the config value model: nil,
// bool, int, float64, string, []any and map[string]any. An empty stream
// yields nil.
func parseYAML(data []byte) (any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("yaml: line %d: expected a single document in the stream", extra.Line)
	}
	var c converter
	return c.node(&doc, 0, false)
}

// maxAliasDepth bounds alias expansion so a self-referencing anchor is an
// error instead of endless recursion.
const maxAliasDepth = 1000

// maxAliasValues bounds the values made by expanding aliases. Every alias
// is expanded into a copy, so a few lines of anchors nested in anchors
// ("billion laughs") would otherwise need memory exponential in their
// number; a real config file never comes near the limit.
const maxAliasValues = 100000

// converter turns a yaml.v3 node tree into the config value model,
// counting the values that alias expansion produces.
type converter struct{ aliasValues int }

// node converts n; aliased tells that n is reached through an alias.
func (c *converter) node(n *yaml.Node, depth int, aliased bool) (any, error) {
	if depth > maxAliasDepth {
		return nil, fmt.Errorf("yaml: line %d: nesting too deep", n.Line)
	}
	if aliased {
		if c.aliasValues++; c.aliasValues > maxAliasValues {
			return nil, fmt.Errorf("yaml: line %d: document contains excessive aliasing", n.Line)
		}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.node(n.Content[0], depth+1, aliased)
	case yaml.AliasNode:
		return c.node(n.Alias, depth+1, true)
	case yaml.ScalarNode:
		return resolveScalar(n)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, e := range n.Content {
			v, err := c.node(e, depth+1, aliased)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		return c.mapping(n, depth, aliased)
	}
	return nil, fmt.Errorf("yaml: line %d: unsupported node", n.Line)
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) == 0
}

func (c *converter) mapping(n *yaml.Node, depth int, aliased bool) (map[string]any, error) {
	out := map[string]any{}
	// Merge keys (`<<: *anchor`) supply defaults: keys written out in the
	// mapping win, and among several merged mappings the earlier one wins.
	for i := 0; i+1 < len(n.Content); i += 2 {
		if !isMergeKey(n.Content[i]) {
			continue
		}
		src, srcAliased := n.Content[i+1], aliased
		for src.Kind == yaml.AliasNode {
			src, srcAliased = src.Alias, true
		}
		var sources []*yaml.Node
		switch src.Kind {
		case yaml.MappingNode:
			sources = []*yaml.Node{src}
		case yaml.SequenceNode:
			sources = src.Content
		default:
			return nil, fmt.Errorf("yaml: line %d: merge key needs a mapping or a list of mappings", src.Line)
		}
		for j := len(sources) - 1; j >= 0; j-- {
			v, err := c.node(sources[j], depth+1, srcAliased)
			if err != nil {
				return nil, err
			}
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("yaml: line %d: merge key needs a mapping or a list of mappings", sources[j].Line)
			}
			for k, mv := range m {
				out[k] = mv
			}
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if isMergeKey(k) {
			continue
		}
		for k.Kind == yaml.AliasNode {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("yaml: line %d: mapping keys must be scalars", k.Line)
		}
		v, err := c.node(n.Content[i+1], depth+1, aliased)
		if err != nil {
			return nil, err
		}
		out[k.Value] = v
	}
	return out, nil
}

func resolveScalar(n *yaml.Node) (any, error) {
	quoted := n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0
	if n.Style&yaml.TaggedStyle != 0 {
		return explicitScalar(n)
	}
	if quoted {
		return n.Value, nil
	}
	s := n.Value
	switch {
	case yamlBool.MatchString(s):
		switch s[0] {
		case 'y', 'Y', 't', 'T':
			return true, nil
		case 'o', 'O':
			return s == "on" || s == "On" || s == "ON", nil
		}
		return false, nil
	case yamlNull.MatchString(s):
		return nil, nil
	case yamlInt.MatchString(s):
		v, err := yamlParseInt(s)
		if err != nil {
			return nil, fmt.Errorf("yaml: line %d: %v", n.Line, err)
		}
		return v, nil
	case yamlFloat.MatchString(s):
		return yamlParseFloat(s), nil
	}
	return s, nil
}

func explicitScalar(n *yaml.Node) (any, error) {
	s := n.Value
	switch n.Tag {
	case "!!str":
		return s, nil
	case "!!null":
		return nil, nil
	case "!!bool":
		if yamlBool.MatchString(s) {
			n2 := *n
			n2.Style &^= yaml.TaggedStyle
			return resolveScalar(&n2)
		}
	case "!!int":
		if yamlInt.MatchString(s) {
			v, err := yamlParseInt(s)
			if err == nil {
				return v, nil
			}
		}
	case "!!float":
		if yamlFloat.MatchString(s) {
			return yamlParseFloat(s), nil
		}
		if yamlInt.MatchString(s) {
			if v, err := yamlParseInt(s); err == nil {
				return float64(v), nil
			}
		}
	default:
		return nil, fmt.Errorf("yaml: line %d: unsupported tag %s", n.Line, n.Tag)
	}
	return nil, fmt.Errorf("yaml: line %d: cannot read %q as %s", n.Line, s, n.Tag)
}

func yamlParseInt(s string) (int, error) {
	s = strings.ReplaceAll(s, "_", "")
	neg := false
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		s = s[1:]
	}
	var v int64
	var err error
	switch {
	case s == "0":
		v = 0
	case strings.HasPrefix(s, "0b"):
		v, err = strconv.ParseInt(s[2:], 2, 64)
	case strings.HasPrefix(s, "0x"):
		v, err = strconv.ParseInt(s[2:], 16, 64)
	case s[0] == '0':
		v, err = strconv.ParseInt(s[1:], 8, 64)
	case strings.Contains(s, ":"):
		for _, part := range strings.Split(s, ":") {
			d, perr := strconv.ParseInt(part, 10, 64)
			if perr != nil || v > (math.MaxInt64-d)/60 {
				return 0, fmt.Errorf("integer %s out of range", s)
			}
			v = v*60 + d
		}
	default:
		v, err = strconv.ParseInt(s, 10, 64)
	}
	if err != nil {
		return 0, fmt.Errorf("integer %s out of range", s)
	}
	if neg {
		v = -v
	}
	return int(v), nil
}

func yamlParseFloat(s string) float64 {
	s = strings.ToLower(strings.ReplaceAll(s, "_", ""))
	sign := 1.0
	if s[0] == '-' || s[0] == '+' {
		if s[0] == '-' {
			sign = -1
		}
		s = s[1:]
	}
	switch s {
	case ".inf":
		return sign * math.Inf(1)
	case ".nan":
		return math.NaN()
	}
	if strings.Contains(s, ":") {
		parts := strings.Split(s, ":")
		v := 0.0
		for _, p := range parts {
			d, _ := strconv.ParseFloat(p, 64)
			v = v*60 + d
		}
		return sign * v
	}
	// The regular expression admits only decimal forms ParseFloat accepts;
	// overflow to ±Inf is what a YAML 1.1 loader yields too.
	v, _ := strconv.ParseFloat(s, 64)
	return sign * v
}
