package format

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Alignment overrides the alignment of one table column.
type Alignment int

const (
	// AlignDefault keeps the inferred alignment: numeric columns right
	// (floats on the decimal point), everything else left.
	AlignDefault Alignment = iota
	// AlignLeft left-aligns the column and its header.
	AlignLeft
	// AlignRight right-aligns the column and its header.
	AlignRight
)

// Table is a table as the Python CLI prints it with tabulate's default
// "simple" format: a header line, a line of dashes, then the rows; columns
// two spaces apart; trailing whitespace removed from every line.
//
// Cells may be nil (NULL: an empty cell), bool, string, any integer or
// float type, or a pointer to one of those (nil pointer = NULL). Anything
// else is a programming error and panics. Times must be passed already
// formatted (Ctime, PythonDatetime).
//
// Each column's type is inferred from its non-NULL cells, strings
// included: all integers or integer-looking strings ("001", " 7 ",
// "1_000") make an int column; all numbers or number-looking strings
// ("1.50", "1e3", "inf", "nan") a float column; anything else is text.
// Numeric columns and their headers are right-aligned (floats on the
// decimal point); float cells are rewritten with FloatFmt; text cells are
// trimmed. Widths are terminal widths: East-Asian wide characters count 2,
// combining marks 0. Cells containing line breaks make multi-line rows.
type Table struct {
	Headers []string
	// Rows must each have len(Headers) cells.
	Rows [][]any
	// Align, if set, overrides the alignment of the first len(Align)
	// columns (tabulate's colalign; `node stats` uses it). It has no effect
	// on a table without rows, which is always left-aligned.
	Align []Alignment
	// FloatFmt is the format of float columns in Python's format-spec
	// syntax: "" (meaning "g", 6 significant digits) or "[.N]e|f|g", e.g.
	// ".2f".
	FloatFmt string
}

// Python types in tabulate's order of generality; a column takes the most
// general type of its cells, starting from bool.
type pyType int

const (
	typeNone pyType = iota
	typeBool
	typeInt
	typeFloat
	typeStr
)

// cell is a table value reduced to what tabulate distinguishes.
type cell struct {
	typ  pyType  // the cell's own type; typeNone for NULL
	text string  // str() of the value
	num  float64 // float() of an int or float value
	kind pyType  // the Go value's kind: typeBool, typeInt, typeFloat or typeStr
}

func newCell(v any) cell {
	rv := reflect.ValueOf(v)
	for rv.IsValid() && rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return cell{typ: typeNone}
		}
		rv = rv.Elem()
	}
	if !rv.IsValid() {
		return cell{typ: typeNone}
	}
	switch rv.Kind() {
	case reflect.Bool:
		text := "False"
		if rv.Bool() {
			text = "True"
		}
		return cell{typ: typeBool, kind: typeBool, text: text}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return cell{typ: typeInt, kind: typeInt, text: strconv.FormatInt(rv.Int(), 10), num: float64(rv.Int())}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return cell{typ: typeInt, kind: typeInt, text: strconv.FormatUint(rv.Uint(), 10), num: float64(rv.Uint())}
	case reflect.Float32, reflect.Float64:
		return cell{typ: typeFloat, kind: typeFloat, text: PythonFloatRepr(rv.Float()), num: rv.Float()}
	case reflect.String:
		s := rv.String()
		c := cell{typ: typeStr, kind: typeStr, text: s}
		switch {
		case s == "True" || s == "False":
			c.typ = typeBool
		case isPyIntText(s):
			c.typ = typeInt
		case isTabulateNumber(s):
			c.typ = typeFloat
		}
		return c
	}
	panic(fmt.Sprintf("format: table cell of type %T", v))
}

func isPyIntText(s string) bool {
	_, ok := parsePyInt(s)
	return ok
}

// render is tabulate's _format: the text of the cell in a column of type
// typ. Float columns reformat every number.
func (c cell) render(typ pyType, verb byte, prec int) string {
	if c.typ == typeNone {
		return ""
	}
	if typ != typeFloat {
		return c.text
	}
	switch c.kind {
	case typeStr:
		f, ok := parsePyFloat(c.text)
		if !ok {
			// "True"/"False" in a float column, where Python fails.
			return c.text
		}
		return pyFormatFloat(f, verb, prec)
	case typeBool:
		if c.text == "True" {
			return pyFormatFloat(1, verb, prec)
		}
		return pyFormatFloat(0, verb, prec)
	}
	return pyFormatFloat(c.num, verb, prec)
}

type colAlign int

const (
	alignLeft colAlign = iota
	alignRight
	alignDecimal
)

// String renders the table without a final newline (print it with one).
// A row whose cells are all empty becomes an empty line.
func (t Table) String() string {
	ncols := len(t.Headers)
	verb, prec := parseFloatFmt(t.FloatFmt)

	cells := make([][]cell, len(t.Rows))
	multiline := false
	for _, h := range t.Headers {
		multiline = multiline || strings.ContainsAny(h, "\r\n")
	}
	for i, row := range t.Rows {
		if len(row) != ncols {
			panic(fmt.Sprintf("format: table row %d has %d cells for %d headers", i, len(row), ncols))
		}
		cells[i] = make([]cell, ncols)
		for j, v := range row {
			c := newCell(v)
			cells[i][j] = c
			multiline = multiline || strings.ContainsAny(c.text, "\r\n")
		}
	}
	width := textWidth
	if multiline {
		width = func(s string) int {
			w := -1
			for _, line := range splitCRLF(s) {
				w = max(w, textWidth(line))
			}
			return w
		}
	}

	columns := make([][]string, ncols) // padded cells, column by column
	aligns := make([]colAlign, ncols)
	colWidths := make([]int, ncols)
	for j := range ncols {
		minWidth := width(t.Headers[j]) + 2
		if len(t.Rows) == 0 {
			colWidths[j] = max(minWidth, width(""))
			continue
		}
		typ := typeBool
		for i := range cells {
			typ = max(typ, cells[i][j].typ)
		}
		texts := make([]string, len(cells))
		for i := range cells {
			texts[i] = cells[i][j].render(typ, verb, prec)
		}
		if typ == typeInt || typ == typeFloat {
			aligns[j] = alignDecimal
		}
		if j < len(t.Align) {
			switch t.Align[j] {
			case AlignLeft:
				aligns[j] = alignLeft
			case AlignRight:
				aligns[j] = alignRight
			}
		}
		columns[j] = alignColumn(texts, aligns[j], minWidth, width, multiline)
		colWidths[j] = minWidth
		for _, s := range columns[j] {
			colWidths[j] = max(colWidths[j], width(s))
		}
	}

	headers := make([]string, ncols)
	for j, h := range t.Headers {
		lines := []string{h}
		if multiline {
			lines = splitCRLF(h)
		}
		for k, line := range lines {
			lines[k] = pad(line, aligns[j], colWidths[j]+pyLen(line)-textWidth(line))
		}
		headers[j] = strings.Join(lines, "\n")
	}

	var out []string
	addRow := func(row []string) {
		if !multiline {
			out = append(out, pyRstrip(strings.Join(row, "  ")))
			return
		}
		split := make([][]string, len(row))
		nlines := 0
		for j, c := range row {
			split[j] = pySplitlines(c)
			nlines = max(nlines, len(split[j]))
		}
		for k := range nlines {
			parts := make([]string, len(row))
			for j := range row {
				if k < len(split[j]) {
					parts[j] = split[j][k]
				} else {
					parts[j] = strings.Repeat(" ", colWidths[j])
				}
			}
			out = append(out, pyRstrip(strings.Join(parts, "  ")))
		}
	}
	addRow(headers)
	dashes := make([]string, ncols)
	for j, w := range colWidths {
		dashes[j] = strings.Repeat("-", w)
	}
	out = append(out, pyRstrip(strings.Join(dashes, "  ")))
	for i := range t.Rows {
		row := make([]string, ncols)
		for j := range ncols {
			row[j] = columns[j][i]
		}
		addRow(row)
	}
	return strings.Join(out, "\n")
}

// alignColumn is tabulate's _align_column with wide-character support:
// text is trimmed (not for decimal alignment, which instead pads numbers
// on the right so their decimal points line up), then every cell, or every
// line of a multi-line cell, is padded to the column's display width.
func alignColumn(texts []string, align colAlign, minWidth int, width func(string) int, multiline bool) []string {
	strs := make([]string, len(texts))
	if align == alignDecimal {
		points := make([]int, len(texts))
		most := -1
		for i, s := range texts {
			points[i] = afterPoint(s)
			most = max(most, points[i])
		}
		for i, s := range texts {
			strs[i] = s + strings.Repeat(" ", most-points[i])
		}
	} else {
		for i, s := range texts {
			strs[i] = pyStrip(s)
		}
	}

	maxWidth := minWidth
	for _, s := range strs {
		if multiline {
			for _, line := range splitCRLF(s) {
				maxWidth = max(maxWidth, textWidth(line))
			}
		} else {
			maxWidth = max(maxWidth, width(s))
		}
	}

	padded := make([]string, len(strs))
	for i, s := range strs {
		if !multiline {
			padded[i] = pad(s, align, maxWidth-(textWidth(s)-pyLen(s)))
			continue
		}
		// Widths come from splitting at \r and \n, the lines padded from
		// str.splitlines(); the two disagree on "\r\n", and tabulate pairs
		// them up by position all the same.
		pieces := splitCRLF(s)
		lines := pySplitlines(s)
		for k := range min(len(lines), len(pieces)) {
			lines[k] = pad(lines[k], align, maxWidth-(textWidth(pieces[k])-pyLen(pieces[k])))
		}
		padded[i] = strings.Join(lines[:min(len(lines), len(pieces))], "\n")
	}
	return padded
}

// afterPoint is tabulate's _afterpoint for the text of a numeric column:
// the number of characters after the decimal point (or after the exponent
// marker when there is no point), -1 for integers, text and empty cells.
// Numbers reaching the search are formatted floats, hence ASCII.
func afterPoint(s string) int {
	if !isTabulateNumber(s) || isPyIntText(s) {
		return -1
	}
	pos := strings.LastIndexByte(s, '.')
	if pos < 0 {
		pos = strings.LastIndexByte(strings.ToLower(s), 'e')
	}
	if pos < 0 {
		return -1
	}
	return len(s) - pos - 1
}

// pad pads s with spaces to width code points, on the left for right and
// decimal alignment.
func pad(s string, align colAlign, width int) string {
	if align == alignLeft {
		return pyLjust(s, width)
	}
	return pyRjust(s, width)
}
