package catalog

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Language is the language the generators write in for people: alert
// summaries and descriptions, dashboard and panel titles, the KPI dictionary.
// Machine-read names (metrics, labels, alert names) never change with it.
type Language string

// The languages.
const (
	English           Language = "en"
	SimplifiedChinese Language = "zh-CN"
)

// Languages lists every language, in a stable order.
var Languages = []Language{English, SimplifiedChinese}

// languageAliases are the other spellings global.language accepts, lower
// case, with _ read as -.
var languageAliases = map[string]Language{
	"en": English, "en-us": English, "en-gb": English, "english": English,
	"zh": SimplifiedChinese, "zh-cn": SimplifiedChinese, "zh-hans": SimplifiedChinese,
	"zh-hans-cn": SimplifiedChinese, "chinese": SimplifiedChinese,
}

// canonicalLanguage returns the language a written value means, and false
// for an unknown one. The empty value is English.
func canonicalLanguage(s string) (Language, bool) {
	if s == "" {
		return English, true
	}
	l, ok := languageAliases[strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "_", "-")]
	return l, ok
}

// MaxTitleLength bounds a title in characters: it heads panels and alert
// summaries, where a paragraph does not belong (put that in help).
const MaxTitleLength = 80

// TeamTitle is the display title of a team by name: its title, else the
// name, also for a team the catalog uses without defining it.
func (c *Catalog) TeamTitle(name string) string {
	if t := c.Team(name); t != nil {
		return t.DisplayTitle()
	}
	return name
}

func (l *loader) validateLanguage(file string) {
	g := &l.cat.Global
	lang, ok := canonicalLanguage(string(g.Language))
	if !ok {
		names := make([]string, len(Languages))
		for i, x := range Languages {
			names[i] = string(x)
		}
		l.errAt(file, "global.language", "unknown language %q (one of %s; zh and zh-Hans also mean zh-CN)", g.Language, strings.Join(names, ", "))
		return
	}
	g.Language = lang
}

// checkTitle reports a title that would not read well where titles are
// shown: surrounding spaces, control characters (line breaks included),
// template braces, or more than MaxTitleLength characters.
func (l *loader) checkTitle(file, path, title string) {
	switch {
	case title == "":
	case strings.TrimSpace(title) != title:
		l.errAt(file, path, "title %q has surrounding spaces", title)
	case strings.IndexFunc(title, unicode.IsControl) >= 0:
		l.errAt(file, path, "title %q holds a control character such as a line break", title)
	case strings.Contains(title, "{{") || strings.Contains(title, "}}"):
		l.errAt(file, path, "title %q holds {{ or }}, which alert templates and Grafana legends would expand", title)
	case utf8.RuneCountInString(title) > MaxTitleLength:
		l.errAt(file, path, "title is %d characters long, more than %d: put the rest in help", utf8.RuneCountInString(title), MaxTitleLength)
	}
}

// checkTitlesUnique rejects two KPIs, or two teams, that people would read
// under the same title: their panels, alerts and dictionary entries could
// not be told apart. A name counts as the title of what has none.
func (l *loader) checkTitlesUnique(kpis []kpiAt) {
	seen := map[string]*KPI{}
	for _, ka := range kpis {
		k := ka.kpi
		if k.Title == "" {
			continue
		}
		if prev, ok := seen[k.Title]; ok {
			l.errAt(k.file, ka.path+".title", "title %q is also the title of KPI %q at %s:%d", k.Title, prev.Name, prev.pos.File, prev.pos.Line)
			continue
		}
		seen[k.Title] = k
	}
	for _, ka := range kpis {
		if prev, ok := seen[ka.kpi.Name]; ok && prev != ka.kpi && ka.kpi.Title == "" {
			l.errAt(ka.kpi.file, ka.path+".name", "name %q is the title of KPI %q at %s:%d: give this KPI a title", ka.kpi.Name, prev.Name, prev.pos.File, prev.pos.Line)
		}
	}
	teams := map[string]*Team{}
	for _, t := range l.cat.Teams {
		if t.Title == "" {
			continue
		}
		if prev, ok := teams[t.Title]; ok {
			l.errAt(t.pos.File, "teams."+t.Name+".title", "title %q is also the title of team %q at %s:%d", t.Title, prev.Name, prev.pos.File, prev.pos.Line)
			continue
		}
		teams[t.Title] = t
	}
}
