package catalog

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kpi-exporter/kpi_exporter/calendar"
)

// ChangeEntry is one entry of a KPI's change log: when its definition
// changed, who changed it, who approved the change and why. The log is
// metadata: it never changes the definition hash.
type ChangeEntry struct {
	// Date is the day of the change, YYYY-MM-DD.
	Date     string `yaml:"date"`
	Author   string `yaml:"author"`
	Approver string `yaml:"approver"`
	Reason   string `yaml:"reason"`
}

// String renders the entry on one line, as the diff and the dictionary
// show it.
func (e ChangeEntry) String() string {
	return fmt.Sprintf("%s by %s, approved by %s: %s", e.Date, e.Author, e.Approver, oneLine(e.Reason))
}

// LatestChange is the KPI's newest change-log entry, or nil.
func (k *KPI) LatestChange() *ChangeEntry {
	if len(k.ChangeLog) == 0 {
		return nil
	}
	return &k.ChangeLog[len(k.ChangeLog)-1]
}

// The labels of InfoMetric that carry a KPI's latest change-log entry, so
// that a dashboard's annotation of a definition change says who approved
// it and why. They are empty for a KPI without a change log.
const (
	LabelChangeDate     = "change_date"
	LabelChangeAuthor   = "change_author"
	LabelChangeApprover = "change_approver"
	LabelChangeReason   = "change_reason"
)

// ChangeLabels are the change-log labels of InfoMetric, in the order of
// ChangeLabelValues.
var ChangeLabels = []string{LabelChangeDate, LabelChangeAuthor, LabelChangeApprover, LabelChangeReason}

// maxChangeLabelRunes bounds a change-log label value: the whole reason
// belongs in the dictionary, a label only needs to be recognisable.
const maxChangeLabelRunes = 120

// ChangeLabelValues are the values of ChangeLabels for the KPI's latest
// change-log entry: one line each, at most maxChangeLabelRunes long.
func (k *KPI) ChangeLabelValues() []string {
	e := k.LatestChange()
	if e == nil {
		return []string{"", "", "", ""}
	}
	return []string{e.Date, shorten(e.Author), shorten(e.Approver), shorten(e.Reason)}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func shorten(s string) string {
	s = oneLine(s)
	if utf8.RuneCountInString(s) <= maxChangeLabelRunes {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:maxChangeLabelRunes-1]), " ") + "…"
}

// validateChangeLog checks that every entry has a date written YYYY-MM-DD,
// an author, an approver and a reason, and that the entries are in date
// order, oldest first, so that the last one is the latest. It does not
// compare dates with today: a catalog loads the same on any day.
func (l *loader) validateChangeLog(k *KPI, path string) {
	var prev calendar.Date
	prevAt := -1
	for i, e := range k.ChangeLog {
		p := fmt.Sprintf("%s.changelog[%d]", path, i)
		for _, f := range []struct{ key, what, val string }{
			{"date", "a date (YYYY-MM-DD)", e.Date}, {"author", "an author", e.Author},
			{"approver", "an approver", e.Approver}, {"reason", "a reason", e.Reason},
		} {
			if strings.TrimSpace(f.val) == "" {
				l.errAt(k.file, p+"."+f.key, "a change-log entry needs %s", f.what)
			}
		}
		if e.Date == "" {
			continue
		}
		d, err := calendar.ParseDate(e.Date)
		if err != nil {
			l.errAt(k.file, p+".date", "%v", err)
			continue
		}
		if prevAt >= 0 && d.String() < prev.String() { // YYYY-MM-DD sorts as text
			l.errAt(k.file, p+".date", "%s is before %s of changelog[%d]: list the entries oldest first, and add new ones at the end", d, prev, prevAt)
		}
		prev, prevAt = d, i
	}
}
