package bitbucketsim

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// condition is one term of a BBQL query: field op "value".
type condition struct {
	field, op, value string
}

type query []condition

var (
	termPattern = regexp.MustCompile(`^\s*([a-z_.]+)\s*(!=|=|~|!~)\s*("(?:[^"\\]|\\.)*"|true|false)\s*$`)
	andSplit    = regexp.MustCompile(`\s+(?i:AND)\s+`)
)

// parseQuery parses the subset of BBQL the simulator understands: terms
// field = "value", field != "value", field ~ "value" (contains) and
// field !~ "value", joined by AND. Anything else is an error (400).
func parseQuery(q string) (query, error) {
	if strings.TrimSpace(q) == "" {
		return nil, nil
	}
	var out query
	for _, term := range andSplit.Split(q, -1) {
		m := termPattern.FindStringSubmatch(term)
		if m == nil {
			return nil, fmt.Errorf("cannot parse %q", strings.TrimSpace(term))
		}
		v := m[3]
		if strings.HasPrefix(v, `"`) {
			uq, err := strconv.Unquote(v)
			if err != nil {
				return nil, fmt.Errorf("cannot parse %q: %v", term, err)
			}
			v = uq
		}
		out = append(out, condition{field: m[1], op: m[2], value: v})
	}
	return out, nil
}

// matches reports whether the object's fields satisfy every term; an
// unknown field matches nothing.
func (q query) matches(fields map[string]string) bool {
	for _, c := range q {
		v, ok := fields[c.field]
		if !ok {
			return false
		}
		var hit bool
		switch c.op {
		case "=":
			hit = v == c.value
		case "!=":
			hit = v != c.value
		case "~":
			hit = strings.Contains(strings.ToLower(v), strings.ToLower(c.value))
		case "!~":
			hit = !strings.Contains(strings.ToLower(v), strings.ToLower(c.value))
		}
		if !hit {
			return false
		}
	}
	return true
}
