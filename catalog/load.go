package catalog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// fileDoc is the shape of one catalog file. Every part is optional, so that a
// department can own a file with only its KPIs.
type fileDoc struct {
	Global   *Global            `yaml:"global"`
	Alerting *Alerting          `yaml:"alerting"`
	Sources  map[string]*Source `yaml:"sources"`
	Teams    map[string]*Team   `yaml:"teams"`
	KPIs     []*KPI             `yaml:"kpis"`
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
	l := &loader{opts: o, lines: map[string]*keyLines{}}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read catalog: %w", err)
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
	l := &loader{opts: o, lines: map[string]*keyLines{}}
	l.parse(name, data)
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

type loader struct {
	opts  Options
	errs  Errors
	lines map[string]*keyLines // file -> key path -> line

	global, alerting *Position
	cat              Catalog
	kpis             []kpiAt
	sources, teams   map[string]*Source
	teamDefs         map[string]*Team
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (l *loader) parse(file string, data []byte) {
	root, err := parseYAML(data)
	if err != nil {
		msg, line := err.Error(), 0
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		l.errs = append(l.errs, Error{Pos: Position{File: file, Line: line}, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")})
		return
	}
	if len(root.Content) == 0 {
		return // an empty file is an empty catalog part
	}
	lines := newKeyLines()
	l.lines[file] = lines
	d := &decoder{file: file, errs: &l.errs, lines: lines}
	var doc fileDoc
	d.decode(root.Content[0], "", reflectValue(&doc))

	pos := func(path string) Position {
		line, _ := lines.get(path)
		return Position{File: file, Line: line}
	}
	if doc.Global != nil {
		if l.global != nil {
			l.errs = append(l.errs, Error{Pos: pos("global"), Path: "global", Msg: fmt.Sprintf("global is already defined at %s:%d", l.global.File, l.global.Line)})
		} else {
			p := pos("global")
			l.global = &p
			l.cat.Global = *doc.Global
		}
	}
	if doc.Alerting != nil {
		if l.alerting != nil {
			l.errs = append(l.errs, Error{Pos: pos("alerting"), Path: "alerting", Msg: fmt.Sprintf("alerting is already defined at %s:%d", l.alerting.File, l.alerting.Line)})
		} else {
			p := pos("alerting")
			l.alerting = &p
			l.cat.Alerting = *doc.Alerting
		}
	}
	if l.sources == nil {
		l.sources, l.teamDefs = map[string]*Source{}, map[string]*Team{}
	}
	for _, name := range sortedKeys(doc.Sources) {
		s := doc.Sources[name]
		path := "sources." + name
		if s == nil {
			if !l.reported(file, path) {
				l.errs = append(l.errs, Error{Pos: pos(path), Path: path, Msg: "empty source"})
			}
			continue
		}
		s.Name, s.pos = name, pos(path)
		if prev, ok := l.sources[name]; ok {
			l.errs = append(l.errs, Error{Pos: s.pos, Path: path, Msg: fmt.Sprintf("source %q is already defined at %s:%d", name, prev.pos.File, prev.pos.Line)})
			continue
		}
		l.sources[name] = s
	}
	for _, name := range sortedKeys(doc.Teams) {
		t := doc.Teams[name]
		path := "teams." + name
		if t == nil {
			t = &Team{}
		}
		t.Name, t.pos = name, pos(path)
		if prev, ok := l.teamDefs[name]; ok {
			l.errs = append(l.errs, Error{Pos: t.pos, Path: path, Msg: fmt.Sprintf("team %q is already defined at %s:%d", name, prev.pos.File, prev.pos.Line)})
			continue
		}
		l.teamDefs[name] = t
	}
	for i, k := range doc.KPIs {
		path := fmt.Sprintf("kpis[%d]", i)
		if k == nil {
			if !l.reported(file, path) {
				l.errs = append(l.errs, Error{Pos: pos(path), Path: path, Msg: "empty KPI"})
			}
			continue
		}
		k.file, k.pos = file, pos(path)
		l.kpis = append(l.kpis, kpiAt{kpi: k, path: path})
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
		if n, ok := lines.get(p); ok {
			line = n
			break
		}
	}
	l.errs = append(l.errs, Error{Pos: Position{File: file, Line: line}, Path: path, Msg: fmt.Sprintf(format, args...)})
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
	globalFile := ""
	if l.global != nil {
		globalFile = l.global.File
	}
	l.validateGlobal(globalFile)
	l.validateAlerting()
	c.sourceByName, c.teamByName, c.kpiByName = map[string]*Source{}, map[string]*Team{}, map[string]*KPI{}
	for _, name := range sortedKeys(l.sources) {
		s := l.sources[name]
		l.validateSource(s)
		c.Sources = append(c.Sources, s)
		c.sourceByName[name] = s
	}
	for _, name := range sortedKeys(l.teamDefs) {
		t := l.teamDefs[name]
		l.validateTeam(t)
		c.Teams = append(c.Teams, t)
		c.teamByName[name] = t
	}
	for _, ka := range l.kpis {
		k := ka.kpi
		if k.Name != "" {
			if prev, ok := c.kpiByName[k.Name]; ok {
				l.errAt(k.file, ka.path+".name", "KPI %q is already defined at %s:%d", k.Name, prev.pos.File, prev.pos.Line)
				continue
			}
			c.kpiByName[k.Name] = k
		}
		l.validateKPI(k, ka.path)
		c.KPIs = append(c.KPIs, k)
	}
	l.checkExportedNames()
	if len(l.errs) > 0 {
		return nil, l.errs.sorted()
	}
	sort.Slice(c.KPIs, func(i, j int) bool { return c.KPIs[i].Name < c.KPIs[j].Name })
	assignPanelIDs(c)
	finishKPIs(c)
	return c, nil
}

// finishKPIs sets what every loaded KPI keeps: its metric names and its
// definition hash. The KPIs are done in runs side by side, since the hash
// normalizes SQL and marshals JSON, 0.11 s of loading 10,000 KPIs; each run
// writes only its own KPIs and reads the finished catalog.
func finishKPIs(c *Catalog) {
	const run = 512
	var wg sync.WaitGroup
	for kpis := range slices.Chunk(c.KPIs, run) {
		wg.Go(func() {
			for _, k := range kpis {
				k.metric, k.targetMetric = k.MetricName(), k.TargetMetricName()
				k.hash = definitionHash(c, k)
			}
		})
	}
	wg.Wait()
}

// checkExportedNames rejects KPIs whose exported series would collide with
// another KPI's or with the exporter's own metrics.
func (l *loader) checkExportedNames() {
	owner := map[string]*KPI{}
	for _, ka := range l.kpis {
		k := ka.kpi
		if k.Name == "" || !k.Unit.Known() || l.cat.kpiByName[k.Name] != k {
			continue
		}
		if k.Name == "info" || strings.HasPrefix(k.Name, "exporter_") {
			l.errAt(k.file, ka.path+".name", "name %q is reserved for the exporter's own metrics", k.Name)
			continue
		}
		for _, n := range []string{k.MetricName(), k.TargetMetricName()} {
			if prev, ok := owner[n]; ok && prev != k {
				l.errAt(k.file, ka.path+".name", "exported series %s would collide with KPI %q", n, prev.Name)
				break
			}
			owner[n] = k
		}
	}
}

// reported tells whether an error was already recorded at exactly this path.
func (l *loader) reported(file, path string) bool {
	for _, e := range l.errs {
		if e.Pos.File == file && e.Path == path {
			return true
		}
	}
	return false
}
