package governance

import (
	"bytes"
	"io"
	"strings"

	"golang.org/x/text/width"
)

// table aligns tab-separated cells into columns two spaces apart, as
// text/tabwriter does for these tables, but measures each cell as a terminal
// shows it: East Asian wide and fullwidth characters (华东, 今日营收) take
// two columns, which tabwriter counts as one, so Chinese label values and
// titles pushed the columns after them out of line. Lines are written
// through Write and aligned by Flush.
type table struct {
	out io.Writer
	buf bytes.Buffer
}

func newTable(out io.Writer) *table { return &table{out: out} }

func (t *table) Write(p []byte) (int, error) { return t.buf.Write(p) }

// Flush writes the lines, each cell but the last padded to its column's
// width. A line without a tab is written as it is.
func (t *table) Flush() error {
	text := strings.TrimSuffix(t.buf.String(), "\n")
	t.buf.Reset()
	if text == "" {
		return nil
	}
	lines := strings.Split(text, "\n")
	rows := make([][]string, len(lines))
	var widths []int
	for i, l := range lines {
		rows[i] = strings.Split(l, "\t")
		for j, c := range rows[i][:len(rows[i])-1] {
			if j == len(widths) {
				widths = append(widths, 0)
			}
			widths[j] = max(widths[j], cellWidth(c))
		}
	}
	var b strings.Builder
	for _, cells := range rows {
		for j, c := range cells {
			b.WriteString(c)
			if j < len(cells)-1 {
				b.WriteString(strings.Repeat(" ", widths[j]-cellWidth(c)+2))
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(t.out, b.String())
	return err
}

// cellWidth is how many terminal columns s takes.
func cellWidth(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}
