package rules

import (
	"github.com/prometheus/prometheus/model/rulefmt"

	"github.com/kpi-exporter/kpi_exporter/catalog"
)

// teamBy is the label set of team-level records.
const teamBy = "(" + catalog.LabelKPI + ", " + catalog.LabelTeam + ")"

// rollupRecords sum a KPI over its label sets to the team level, only for
// units whose values add up (counts, money, bytes). Ratios, scores, percents
// and durations are never summed. The team attainment is a ratio of sums over
// the label sets that have a target, never a sum of ratios.
func (x kpiCtx) rollupRecords() []rulefmt.Rule {
	if !x.k.Unit.Summable() {
		return nil
	}
	v := x.rec(catalog.OpValue)
	sum := x.k.TeamRecord(catalog.OpSum)
	out := []rulefmt.Rule{{Record: sum, Expr: "sum by " + teamBy + " (" + v + ")", Labels: x.ownerLabels()}}
	if !x.k.HasTarget() {
		return out
	}
	t := x.rec(catalog.OpTarget)
	tsum := x.k.TeamRecord(catalog.OpTargetSum)
	covered := "sum by " + teamBy + " (" + v + " and " + x.on() + " " + t + ")"
	att := covered + " / on" + teamBy + " (" + tsum + " > 0)"
	if !x.higher() {
		att = tsum + " / on" + teamBy + " (" + covered + " > 0)"
	}
	return append(out,
		rulefmt.Rule{Record: tsum, Expr: "sum by " + teamBy + " (" + t + ")", Labels: x.ownerLabels()},
		rulefmt.Rule{Record: x.k.TeamRecord(catalog.OpAttainment), Expr: att, Labels: x.ownerLabels()},
	)
}
