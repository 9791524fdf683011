package demo

import (
	"fmt"
	"regexp"
	"strings"
)

// Any, in an expected output, stands for any text within one line: the
// values the seed shows that differ from run to run (times, free space,
// the file system's block size).
const Any = "{*}"

// normalise reduces command output to what the seed transcript keeps of
// it: runs of blanks within a line become one space, and blank lines go.
func normalise(text string) []string {
	var lines []string
	for line := range strings.Lines(text) {
		if f := strings.Fields(line); len(f) > 0 {
			lines = append(lines, strings.Join(f, " "))
		}
	}
	return lines
}

// matchOutput compares output with want, both normalised; Any in want
// matches any text. The error shows both in full.
func matchOutput(output, want string) error {
	got, exp := normalise(output), normalise(want)
	ok := len(got) == len(exp)
	for i := 0; ok && i < len(exp); i++ {
		ok = linePattern(exp[i]).MatchString(got[i])
	}
	if ok {
		return nil
	}
	return fmt.Errorf("output differs from the seed's\n--- expected:\n%s\n--- got:\n%s", strings.Join(exp, "\n"), strings.Join(got, "\n"))
}

func linePattern(line string) *regexp.Regexp {
	parts := strings.Split(line, Any)
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$")
}
