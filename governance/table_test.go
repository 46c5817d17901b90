package governance

import (
	"bytes"
	"fmt"
	"testing"
)

func TestTableAlignsChineseCellsAsATerminalShowsThem(t *testing.T) {
	var b bytes.Buffer
	tw := newTable(&b)
	fmt.Fprintln(tw, "KPI\tLABELS\tVALUE")
	fmt.Fprintln(tw, "今日营收\tregion=华东\t150")
	fmt.Fprintln(tw, "revenue\tregion=north\t20")
	if err := tw.Flush(); err != nil {
		t.Fatal(err)
	}
	// 今日营收 and region=华东 take 8 and 11 columns on a terminal.
	want := "KPI       LABELS        VALUE\n" +
		"今日营收  region=华东   150\n" +
		"revenue   region=north  20\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
