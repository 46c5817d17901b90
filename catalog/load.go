package catalog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kpi-exporter/kpi_exporter/calendar"
)

// fileDoc is the shape of one catalog file. Every part is optional, so that a
// department can own a file with only its KPIs.
type fileDoc struct {
	Global    *Global              `yaml:"global"`
	Alerting  *Alerting            `yaml:"alerting"`
	Calendars map[string]*Calendar `yaml:"calendars"`
	Sources   map[string]*Source   `yaml:"sources"`
	Teams     map[string]*Team     `yaml:"teams"`
	KPIs      []*KPI               `yaml:"kpis"`
}

// Options change how a catalog is loaded. The zero value reads the real
// environment and file system.
type Options struct {
	// LookupEnv resolves ${VAR} references in DSNs; os.LookupEnv by default.
	LookupEnv func(string) (string, bool)
}

// Load reads, validates and returns the catalog made of the given files and
// directories (every *.yml and *.yaml file below a directory, in name order).
// A catalog with any problem is rejected whole: the returned error is an
// Errors value with every problem found, and errors.Is(err, ErrInvalid) holds.
func Load(paths ...string) (*Catalog, error) { return Options{}.Load(paths...) }

// Load is Load with options.
func (o Options) Load(paths ...string) (*Catalog, error) {
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	files, err := expandPaths(paths)
	if err != nil {
		return nil, err
	}
	l := newLoader(o)
	for _, f := range files {
		data, err := readFile(f, &l.errs)
		if err != nil {
			return nil, err
		}
		if data == nil {
			l.unparsed = true
			continue
		}
		l.parse(f, data)
	}
	return l.finish(files)
}

// Parse validates a catalog held in memory, as if read from the named file.
func (o Options) Parse(name string, data []byte) (*Catalog, error) {
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	l := newLoader(o)
	if len(data) > maxFileBytes {
		l.errs.add(Error{Pos: Position{File: name}, Msg: fmt.Sprintf("the file is larger than %d MiB: split the catalog into several files of a directory", maxFileBytes>>20)})
		l.unparsed = true
	} else {
		l.parse(name, data)
	}
	return l.finish([]string{name})
}

func expandPaths(paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, errors.New("no catalog file given")
	}
	var files []string
	seen := map[string]bool{}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("read catalog: %w", err)
		}
		if !st.IsDir() {
			if !seen[p] {
				files = append(files, p)
				seen[p] = true
			}
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != p && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if !d.IsDir() && (strings.HasSuffix(path, ".yml") || strings.HasSuffix(path, ".yaml")) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read catalog directory: %w", err)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("read catalog directory %s: no .yml or .yaml files", p)
		}
		sort.Strings(found)
		for _, f := range found {
			if !seen[f] {
				files = append(files, f)
				seen[f] = true
			}
		}
	}
	return files, nil
}

type kpiAt struct {
	kpi  *KPI
	path string
}

// loader gathers the parts of a catalog from its files, then checks the
// whole: parse and walk each file (parse.go, walk.go), decode it, merge its
// parts; then set defaults (defaults.go), resolve the DSNs (secrets.go) and
// validate (validate.go).
type loader struct {
	opts  Options
	errs  errorList
	lines map[string]map[string]int // file -> key path -> line
	keys  map[reflect.Type]structKeys

	global, alerting *Position
	kpisKey          *Position // the first kpis key, for "no KPIs"
	unparsed         bool      // a file did not parse: its KPIs are unknown
	cat              Catalog
	kpis             []kpiAt
	sources          map[string]*Source
	teams            map[string]*Team
	calendars        map[string]*Calendar
}

func newLoader(o Options) *loader {
	return &loader{
		opts: o, lines: map[string]map[string]int{}, keys: map[reflect.Type]structKeys{},
		sources: map[string]*Source{}, teams: map[string]*Team{}, calendars: map[string]*Calendar{},
	}
}

func (l *loader) parse(file string, data []byte) {
	root := parseFile(file, data, &l.errs)
	if root == nil || root.Kind != yaml.MappingNode {
		l.unparsed = true // and the walk says what the root is
	}
	if root == nil {
		return
	}
	lines := map[string]int{}
	l.lines[file] = lines
	w := &walker{file: file, errs: &l.errs, lines: lines, keys: l.keys}
	before := l.errs.len()
	w.walk(root, "", reflect.TypeFor[fileDoc]())
	if w.tooManyAliases() {
		return
	}
	var doc fileDoc
	if err := root.Decode(&doc); err != nil && l.errs.len() == before {
		// The walk checks every node the decoder reads, so this is a gap
		// in the walk. yaml.v3's text can quote values: leave it out.
		var te *yaml.TypeError
		msg := "does not decode"
		if !errors.As(err, &te) {
			msg += ": " + err.Error()
		}
		l.errs.add(Error{Pos: Position{File: file, Line: root.Line}, Msg: msg})
		return
	}

	pos := func(path string) Position { return Position{File: file, Line: lines[path]} }
	if _, ok := lines["kpis"]; ok && l.kpisKey == nil {
		p := pos("kpis")
		l.kpisKey = &p
	}
	if doc.Global != nil {
		if l.global != nil {
			l.errs.add(Error{Pos: pos("global"), Path: "global", Msg: fmt.Sprintf("global is already defined at %s:%d", l.global.File, l.global.Line)})
		} else {
			p := pos("global")
			l.global = &p
			l.cat.Global = *doc.Global
		}
	}
	if doc.Alerting != nil {
		if l.alerting != nil {
			l.errs.add(Error{Pos: pos("alerting"), Path: "alerting", Msg: fmt.Sprintf("alerting is already defined at %s:%d", l.alerting.File, l.alerting.Line)})
		} else {
			p := pos("alerting")
			l.alerting = &p
			l.cat.Alerting = *doc.Alerting
		}
	}
	mergeNamed(l, file, "source", doc.Sources, l.sources, pos, false)
	mergeNamed(l, file, "calendar", doc.Calendars, l.calendars, pos, true)
	mergeNamed(l, file, "team", doc.Teams, l.teams, pos, true)
	for i, k := range doc.KPIs {
		path := fmt.Sprintf("kpis[%d]", i)
		if k == nil {
			if !l.errs.at(file, path) {
				l.errs.add(Error{Pos: pos(path), Path: path, Msg: "empty KPI"})
			}
			continue
		}
		k.file, k.pos = file, pos(path)
		l.kpis = append(l.kpis, kpiAt{kpi: k, path: path})
	}
}

// named is a catalog entry defined under its name in a map section
// (sources, calendars, teams).
type named interface {
	place(name string, at Position)
	Pos() Position
}

func (s *Source) place(name string, at Position)   { s.Name, s.pos = name, at }
func (c *Calendar) place(name string, at Position) { c.Name, c.pos = name, at }

// Pos is where the calendar is defined.
func (c *Calendar) Pos() Position              { return c.pos }
func (t *Team) place(name string, at Position) { t.Name, t.pos = name, at }

// mergeNamed adds one file's entries of the section of kind into the
// catalog's, refusing a name another file (or document) defined before.
// An entry written without a body is an empty one when emptyOK, an error
// otherwise.
func mergeNamed[T any, P interface {
	*T
	named
}](l *loader, file, kind string, from, into map[string]P, pos func(string) Position, emptyOK bool) {
	for _, name := range sortedKeys(from) {
		v, path := from[name], kind+"s."+name
		if v == nil {
			if !emptyOK {
				if !l.errs.at(file, path) {
					l.errs.add(Error{Pos: pos(path), Path: path, Msg: "empty " + kind})
				}
				continue
			}
			v = new(T)
		}
		v.place(name, pos(path))
		if prev, ok := into[name]; ok {
			at := prev.Pos()
			l.errs.add(Error{Pos: v.Pos(), Path: path, Msg: fmt.Sprintf("%s %q is already defined at %s:%d", kind, name, at.File, at.Line)})
			continue
		}
		into[name] = v
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// errAt records a validation error at the line of a key path in a file. When
// the exact key is absent (a missing key), it falls back to its parent.
func (l *loader) errAt(file, path, format string, args ...any) {
	line := 0
	lines := l.lines[file]
	for p := path; p != ""; p = parentPath(p) {
		if n, ok := lines[p]; ok {
			line = n
			break
		}
	}
	if line == 0 {
		line = 1 // a part of the catalog no file wrote, such as global
	}
	l.errs.add(Error{Pos: Position{File: file, Line: line}, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func parentPath(p string) string {
	if i := strings.LastIndexAny(p, ".["); i >= 0 {
		return p[:i]
	}
	return ""
}

func (l *loader) finish(files []string) (*Catalog, error) {
	c := &l.cat
	c.Files = files
	c.sourceByName, c.teamByName, c.kpiByName = map[string]*Source{}, map[string]*Team{}, map[string]*KPI{}
	c.calendarByName, c.utc = map[string]*Calendar{}, calendar.UTC()
	for _, name := range sortedKeys(l.calendars) {
		c.Calendars = append(c.Calendars, l.calendars[name])
		c.calendarByName[name] = l.calendars[name]
		l.buildCalendar(l.calendars[name])
	}
	for _, name := range sortedKeys(l.sources) {
		c.Sources = append(c.Sources, l.sources[name])
		c.sourceByName[name] = l.sources[name]
	}
	for _, name := range sortedKeys(l.teams) {
		c.Teams = append(c.Teams, l.teams[name])
		c.teamByName[name] = l.teams[name]
	}
	var kpis []kpiAt
	for _, ka := range l.kpis {
		k := ka.kpi
		if k.Name != "" {
			if prev, ok := c.kpiByName[k.Name]; ok {
				l.errAt(k.file, ka.path+".name", "KPI %q is already defined at %s:%d", k.Name, prev.pos.File, prev.pos.Line)
				continue
			}
			c.kpiByName[k.Name] = k
		}
		kpis = append(kpis, ka)
		c.KPIs = append(c.KPIs, k)
	}
	if len(l.kpis) == 0 && !l.unparsed && !l.kpisReported() {
		p := Position{File: files[0], Line: 1}
		if l.kpisKey != nil {
			p = *l.kpisKey
		}
		l.errs.add(Error{Pos: p, Msg: "the catalog defines no KPIs: add at least one under kpis"})
	}

	setDefaults(c)
	for _, s := range c.Sources {
		l.resolveDSN(s)
	}

	globalFile := ""
	if l.global != nil {
		globalFile = l.global.File
	}
	l.validateGlobal(globalFile)
	l.validateCalendarUse(globalFile, "global.calendar", c.Global.Calendar)
	l.validateAlerting()
	for _, s := range c.Sources {
		l.validateSource(s)
	}
	for _, t := range c.Teams {
		l.validateTeam(t)
		l.validateCalendarUse(t.pos.File, "teams."+t.Name+".calendar", t.Calendar)
	}
	for _, ka := range kpis {
		l.validateKPI(ka.kpi, ka.path)
		l.validateCalendarUse(ka.kpi.file, ka.path+".calendar", ka.kpi.Calendar)
		l.validateAccrual(ka.kpi, ka.path)
		l.validateCompare(ka.kpi, ka.path)
		l.validateChangeLog(ka.kpi, ka.path)
		l.validateControl(ka.kpi, ka.path)
	}
	l.checkExportedNames(kpis)
	l.checkTitlesUnique(kpis)
	if l.errs.len() > 0 {
		return nil, l.errs.errors()
	}
	sort.Slice(c.KPIs, func(i, j int) bool { return c.KPIs[i].Name < c.KPIs[j].Name })
	assignPanelIDs(c)
	for _, k := range c.KPIs {
		k.metric, k.targetMetric = k.MetricName(), k.TargetMetricName()
		k.hash = definitionHash(c, k)
	}
	return c, nil
}

// kpisReported tells whether an error was already recorded about the kpis
// list or one of its items.
func (l *loader) kpisReported() bool {
	for _, e := range l.errs.kept {
		if e.Path == "kpis" || strings.HasPrefix(e.Path, "kpis[") {
			return true
		}
	}
	return false
}

// checkExportedNames rejects KPIs whose exported series would collide with
// another KPI's or with the exporter's own metrics.
func (l *loader) checkExportedNames(kpis []kpiAt) {
	owner := map[string]*KPI{}
	for _, ka := range kpis {
		k := ka.kpi
		if k.Name == "" || !k.Unit.Known() {
			continue
		}
		if k.Name == "info" || strings.HasPrefix(k.Name, "exporter_") {
			l.errAt(k.file, ka.path+".name", "name %q is reserved for the exporter's own metrics", k.Name)
			continue
		}
		for _, n := range slices.Concat([]string{k.MetricName(), k.TargetMetricName()}, k.CompareMetricNames(), k.controlMetricNames()) {
			if prev, ok := owner[n]; ok && prev != k {
				l.errAt(k.file, ka.path+".name", "exported series %s would collide with KPI %q", n, prev.Name)
				break
			}
			owner[n] = k
		}
	}
}
