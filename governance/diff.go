package governance

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kpi-exporter/kpi_exporter/catalog"
	"github.com/kpi-exporter/kpi_exporter/sqltext"
)

// Impact classes a change by what it does downstream.
//
//   - Breaking: series, dashboards, alerts or routing that exist today stop
//     matching: a KPI removed or renamed, its unit or currency changed (the
//     exported name and meaning change), its label columns added or removed
//     (queries, recording rules and Alertmanager routes keyed on labels break),
//     its direction flipped (alerts invert) or its team changed (alerts route
//     elsewhere and the dashboard moves).
//   - Numbers: nothing breaks, but the numbers people read change meaning or
//     value: SQL, source, value column, target, thresholds, period.
//   - Info: metadata only: owner, help, description, runbook, group, schedule.
type Impact string

// The impacts, from most to least serious.
const (
	ImpactBreaking Impact = "breaking"
	ImpactNumbers  Impact = "numbers change"
	ImpactInfo     Impact = "info"
)

// Status says what happened to a KPI as a whole.
type Status string

// The statuses.
const (
	StatusAdded   Status = "added"
	StatusRemoved Status = "removed"
	StatusRenamed Status = "renamed"
	StatusChanged Status = "changed"
)

// Change is one difference in one KPI.
type Change struct {
	// Field is the catalog key that changed ("sql", "target", "labels"), or
	// "kpi" for an added, removed or renamed KPI.
	Field string `json:"field"`
	// What describes the change in a few words ("labels removed").
	What   string `json:"what"`
	Old    string `json:"old,omitempty"`
	New    string `json:"new,omitempty"`
	Impact Impact `json:"impact"`
}

// KPIDiff is every change of one KPI, with the definition hashes that the
// exporter publishes in kpi_info, so a reviewer can match them to the data.
type KPIDiff struct {
	// Name is the KPI's name in the new catalog (the old one when removed).
	Name string `json:"name"`
	// OldName is set when the KPI was renamed.
	OldName string   `json:"old_name,omitempty"`
	Team    string   `json:"team"`
	Status  Status   `json:"status"`
	OldHash string   `json:"old_hash,omitempty"`
	NewHash string   `json:"new_hash,omitempty"`
	Changes []Change `json:"changes"`
	// Pos is where the KPI is defined in the new catalog (the old one when
	// removed), as file:line.
	Pos string `json:"pos"`
	// NewEntries are the change-log entries the new catalog adds.
	NewEntries []catalog.ChangeEntry `json:"changelog_added,omitempty"`
	// ChangeLogMissing is set when the definition changed without a new
	// change-log entry.
	ChangeLogMissing bool `json:"changelog_missing,omitempty"`
	// ChangeLogRewritten is set when entries of the old change log were
	// edited or removed: the log is append-only, and an edited entry is not
	// a new one.
	ChangeLogRewritten bool `json:"changelog_rewritten,omitempty"`
}

// DefinitionChanged reports whether the KPI's definition hash changed: what
// a governed catalog asks a change-log entry for.
func (d KPIDiff) DefinitionChanged() bool {
	return d.OldHash != "" && d.NewHash != "" && d.OldHash != d.NewHash
}

// MissingChangeLog returns the KPIs whose definition changed without a new
// change-log entry, or whose earlier entries were edited or removed. A KPI
// that is added or removed has no change to log.
func (r DiffReport) MissingChangeLog() []KPIDiff {
	var out []KPIDiff
	for _, d := range r.KPIs {
		if d.ChangeLogMissing || d.ChangeLogRewritten {
			out = append(out, d)
		}
	}
	return out
}

// Impact is the most serious impact among the KPI's changes.
func (d KPIDiff) Impact() Impact {
	worst := ImpactInfo
	for _, c := range d.Changes {
		if rank(c.Impact) > rank(worst) {
			worst = c.Impact
		}
	}
	return worst
}

func rank(i Impact) int {
	switch i {
	case ImpactBreaking:
		return 2
	case ImpactNumbers:
		return 1
	}
	return 0
}

// DiffReport is the semantic difference between two catalogs, KPI by KPI in
// name order.
type DiffReport struct {
	KPIs []KPIDiff `json:"kpis"`
	// RequireChangeLog makes the renderings list the definition changes
	// that come without a new change-log entry (MissingChangeLog).
	RequireChangeLog bool `json:"require_changelog,omitempty"`
}

// Count returns how many changes have the given impact.
func (r DiffReport) Count(i Impact) int {
	n := 0
	for _, d := range r.KPIs {
		for _, c := range d.Changes {
			if c.Impact == i {
				n++
			}
		}
	}
	return n
}

// Changes returns the total number of changes.
func (r DiffReport) Changes() int {
	n := 0
	for _, d := range r.KPIs {
		n += len(d.Changes)
	}
	return n
}

// Diff compares two catalogs. A KPI that disappears under one name while a
// new name appears with the same definition hash, or failing that the same
// normalized SQL on the same source, is reported as renamed rather than as a
// removal and an addition. Source DSNs are never compared or shown.
func Diff(old, cur *catalog.Catalog) DiffReport {
	var removed, added []*catalog.KPI
	var out []KPIDiff
	for _, o := range old.KPIs {
		if n := cur.KPI(o.Name); n != nil {
			if d := diffKPI(old, cur, o, n); len(d.Changes) > 0 {
				out = append(out, d)
			}
		} else {
			removed = append(removed, o)
		}
	}
	for _, n := range cur.KPIs {
		if old.KPI(n.Name) == nil {
			added = append(added, n)
		}
	}
	// Renames: first by identical definition, then by identical SQL.
	match := func(same func(o, n *catalog.KPI) bool) {
		for i, o := range removed {
			for j, n := range added {
				if o == nil || n == nil || !same(o, n) {
					continue
				}
				d := diffKPI(old, cur, o, n)
				d.Status, d.OldName = StatusRenamed, o.Name
				d.Changes = append([]Change{{Field: "kpi", What: "renamed", Old: o.Name, New: n.Name, Impact: ImpactBreaking}}, d.Changes...)
				out = append(out, d)
				removed[i], added[j] = nil, nil
				break
			}
		}
	}
	match(func(o, n *catalog.KPI) bool { return o.DefinitionHash() == n.DefinitionHash() })
	match(func(o, n *catalog.KPI) bool {
		return o.Source == n.Source && old.NormalizedSQL(o) == cur.NormalizedSQL(n)
	})
	for _, o := range removed {
		if o != nil {
			out = append(out, KPIDiff{Name: o.Name, Team: o.Team, Status: StatusRemoved, OldHash: o.DefinitionHash(), Pos: pos(o),
				Changes: []Change{{Field: "kpi", What: "removed", Old: o.MetricName(), Impact: ImpactBreaking}}})
		}
	}
	for _, n := range added {
		if n != nil {
			out = append(out, KPIDiff{Name: n.Name, Team: n.Team, Status: StatusAdded, NewHash: n.DefinitionHash(), Pos: pos(n), NewEntries: n.ChangeLog,
				Changes: []Change{{Field: "kpi", What: "added", New: n.MetricName(), Impact: ImpactInfo}}})
		}
	}
	for i := range out {
		out[i].ChangeLogMissing = out[i].DefinitionChanged() && len(out[i].NewEntries) == 0
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return DiffReport{KPIs: out}
}

func diffKPI(oc, nc *catalog.Catalog, o, n *catalog.KPI) KPIDiff {
	d := KPIDiff{Name: n.Name, Team: n.Team, Status: StatusChanged, OldHash: o.DefinitionHash(), NewHash: n.DefinitionHash(), Pos: pos(n)}
	field := func(key, what, ov, nv string, imp Impact) {
		if ov != nv {
			d.Changes = append(d.Changes, Change{Field: key, What: what, Old: ov, New: nv, Impact: imp})
		}
	}
	field("source", "source changed", o.Source, n.Source, ImpactNumbers)
	if oc.NormalizedSQL(o) != nc.NormalizedSQL(n) {
		d.Changes = append(d.Changes, Change{Field: "sql", What: "SQL changed", Old: strings.TrimSpace(o.SQL), New: strings.TrimSpace(n.SQL), Impact: ImpactNumbers})
	}
	removedLabels, addedLabels := setDiff(o.Labels, n.Labels), setDiff(n.Labels, o.Labels)
	if len(removedLabels) > 0 {
		d.Changes = append(d.Changes, Change{Field: "labels", What: "labels removed", Old: strings.Join(removedLabels, ", "), Impact: ImpactBreaking})
	}
	if len(addedLabels) > 0 {
		d.Changes = append(d.Changes, Change{Field: "labels", What: "labels added", New: strings.Join(addedLabels, ", "), Impact: ImpactBreaking})
	}
	if len(removedLabels)+len(addedLabels) == 0 && !slices.Equal(o.Labels, n.Labels) {
		field("labels", "label order changed", strings.Join(o.Labels, ", "), strings.Join(n.Labels, ", "), ImpactInfo)
	}
	field("value", "value column changed", o.Value, n.Value, ImpactNumbers)
	field("unit", "unit changed", unitString(o), unitString(n), ImpactBreaking)
	field("direction", "direction changed", string(o.Direction), string(n.Direction), ImpactBreaking)
	field("target", "target changed", targetString(oc, o.Target), targetString(nc, n.Target), ImpactNumbers)
	field("thresholds.warning", "warning threshold changed", thresholdString(o, true), thresholdString(n, true), ImpactNumbers)
	field("thresholds.critical", "critical threshold changed", thresholdString(o, false), thresholdString(n, false), ImpactNumbers)
	field("period", "period changed", string(o.Period), string(n.Period), ImpactNumbers)
	field("team", "team changed", o.Team, n.Team, ImpactBreaking)
	field("owner", "owner changed", o.Owner, n.Owner, ImpactInfo)
	if o.Group != o.Team || n.Group != n.Team { // the group defaults to the team
		field("group", "group changed", o.Group, n.Group, ImpactInfo)
	}
	field("title", "title changed", o.Title, n.Title, ImpactInfo)
	field("help", "help changed", o.Help, n.Help, ImpactInfo)
	field("description", "description changed", o.Description, n.Description, ImpactInfo)
	field("runbook_url", "runbook changed", o.RunbookURL, n.RunbookURL, ImpactInfo)
	field("interval", "interval changed", o.Interval.String(), n.Interval.String(), ImpactInfo)
	// The control does not decide the KPI's numbers (it is not in the
	// definition hash), but a reviewer wants to see it change.
	field("control", "control changed", controlString(oc, o), controlString(nc, n), ImpactInfo)
	d.NewEntries, d.ChangeLogRewritten = newEntries(o.ChangeLog, n.ChangeLog)
	for _, e := range d.NewEntries {
		d.Changes = append(d.Changes, Change{Field: "changelog", What: "change-log entry added", New: e.String(), Impact: ImpactInfo})
	}
	if d.ChangeLogRewritten {
		d.Changes = append(d.Changes, Change{Field: "changelog", What: "earlier change-log entries edited or removed", Impact: ImpactInfo})
	}
	return d
}

// newEntries are the entries appended to the change log: those of cur
// after the old log, which must be its beginning. When it is not, earlier
// entries were edited or removed (rewritten), and only the entries after
// the part both logs share that old does not hold count as new: editing an
// old entry does not log a new change.
func newEntries(old, cur []catalog.ChangeEntry) (added []catalog.ChangeEntry, rewritten bool) {
	shared := 0
	for shared < len(old) && shared < len(cur) && old[shared] == cur[shared] {
		shared++
	}
	rewritten = shared < len(old)
	for _, e := range cur[shared:] {
		if !slices.Contains(old, e) && (!rewritten || !editedFrom(old[shared:], e)) {
			added = append(added, e)
		}
	}
	return added, rewritten
}

// editedFrom reports whether e is one of the old entries with only its
// author, approver or reason changed: the same date in the same place is an
// edit, not a new entry.
func editedFrom(old []catalog.ChangeEntry, e catalog.ChangeEntry) bool {
	return slices.ContainsFunc(old, func(o catalog.ChangeEntry) bool { return o.Date == e.Date })
}

// controlString is what decides a control's verdict: its source, its SQL
// (comments and whitespace aside), value column and tolerance.
func controlString(c *catalog.Catalog, k *catalog.KPI) string {
	ct := k.Control
	if ct == nil {
		return ""
	}
	return fmt.Sprintf("%s: %s (column %s, within %s, for %s)", ct.Source, c.NormalizedSQL(k.ControlQuery()), ct.Value, k.ToleranceText(), ct.For)
}

func pos(k *catalog.KPI) string {
	p := k.Pos()
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

func setDiff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func unitString(k *catalog.KPI) string {
	if k.Unit == catalog.UnitCurrency {
		return string(k.Unit) + " " + k.Currency
	}
	return string(k.Unit)
}

func targetString(c *catalog.Catalog, t *catalog.Target) string {
	switch {
	case t == nil:
		return ""
	case t.IsConstant():
		return fmtNum(t.Value)
	}
	var opts = catalog.SQLOptions("")
	if s := c.Source(t.Source); s != nil {
		opts = catalog.SQLOptions(s.Driver)
	}
	return "sql on " + t.Source + " (" + t.Column + "): " + sqltext.Normalize(t.SQL, opts)
}

func thresholdString(k *catalog.KPI, warning bool) string {
	if k.Thresholds == nil {
		return ""
	}
	t := k.Thresholds.Critical
	if warning {
		t = k.Thresholds.Warning
	}
	if t == nil {
		return ""
	}
	return t.String()
}
