package report

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"time"
)

//go:embed report.html.tmpl
var templates embed.FS

// htmlKPI is one KPI as the HTML template reads it.
type htmlKPI struct {
	KPIResult
	Rows  []htmlRow
	Chart *chart
}

type htmlRow struct {
	Name, Value, Target, Attainment, Previous, Change string
	InWarning, InCritical                             string
	Status                                            Status
}

type htmlTeam struct {
	Title string
	KPIs  []htmlKPI
}

type htmlAct struct {
	KPI, Team, Owner, Runbook, Attainment string
	Status                                Status
}

// HTML renders the review as one self-contained page: inline CSS and SVG,
// no scripts, no external assets, so that it reads the same in a mail
// client as in a browser.
func HTML(r *Report) ([]byte, error) {
	t, err := template.New("report.html.tmpl").Funcs(template.FuncMap{
		"colour":   statusColour,
		"duration": FormatDuration,
		"ratio":    FormatRatio,
		"value":    FormatValue,
		"delta":    FormatDelta,
		"num":      num,
		"time":     func(t time.Time) string { return t.In(r.Window.Start.Location()).Format("2006-01-02 15:04") },
	}).ParseFS(templates, "report.html.tmpl")
	if err != nil {
		return nil, fmt.Errorf("parse report template: %w", err)
	}
	data := struct {
		R        *Report
		Period   string
		Partial  string
		Teams    []htmlTeam
		Act      []htmlAct
		Warnings []string
	}{R: r, Period: windowText(r.Window), Warnings: r.Warnings}
	if r.Window.Partial() {
		data.Partial = partialText(r.Window)
	}
	for _, t := range r.Teams {
		ht := htmlTeam{Title: t.Title}
		for _, k := range t.KPIs {
			hk := htmlKPI{KPIResult: k, Chart: trendChart(k, r.Window, r.Step)}
			for _, row := range rows(k) {
				f := row.f
				hk.Rows = append(hk.Rows, htmlRow{
					Name: row.name, Value: FormatValue(k.KPI, f.Value), Target: FormatValue(k.KPI, f.Target),
					Attainment: FormatRatio(f.Attainment), Previous: FormatValue(k.KPI, f.Previous), Change: changeText(k, f),
					InWarning: timeIn(f, f.InWarning), InCritical: timeIn(f, f.InCritical), Status: f.Status,
				})
			}
			ht.KPIs = append(ht.KPIs, hk)
		}
		data.Teams = append(data.Teams, ht)
	}
	for _, k := range r.Act {
		data.Act = append(data.Act, htmlAct{KPI: title(k.KPI), Team: k.KPI.Team, Owner: k.KPI.Owner,
			Runbook: k.KPI.RunbookURL, Attainment: FormatRatio(actAttainment(k)), Status: k.Status})
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("render report: %w", err)
	}
	return b.Bytes(), nil
}

func statusColour(s Status) string {
	switch s {
	case StatusOK:
		return ColourOK
	case StatusWarning:
		return ColourWarning
	case StatusCritical:
		return ColourCritical
	}
	return ColourNoData
}
