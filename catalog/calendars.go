package catalog

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kpi-exporter/kpi_exporter/calendar"
)

// Calendar is a business calendar as the catalog writes it: a time zone, the
// week, the working hours, and holidays and make-up working days (调休),
// inline or in a file beside the catalog.
type Calendar struct {
	Name string `yaml:"-"`
	// TimeZone is an IANA zone such as Asia/Shanghai.
	TimeZone string `yaml:"timezone"`
	// WeekStart is the first day of the week (default monday).
	WeekStart string `yaml:"week_start"`
	// WorkDays are the usual working days (default monday to friday).
	WorkDays []string `yaml:"work_days"`
	// WorkHours are spans such as "09:00-12:00" (default 00:00-24:00).
	WorkHours []string `yaml:"work_hours"`
	// Holidays are dates (YYYY-MM-DD) off even on a usual working day.
	Holidays []string `yaml:"holidays"`
	// MakeUpDays are dates worked although their weekday is not a usual
	// working day.
	MakeUpDays []string `yaml:"make_up_days"`
	// HolidaysFile is a YAML file, relative to the catalog file, with the
	// keys holidays and make_up_days, for lists published once a year.
	HolidaysFile string `yaml:"holidays_file"`

	cal *calendar.Calendar
	pos Position
}

// UTCCalendar is the name of the calendar of a catalog or KPI that names
// none: UTC, weeks from Monday, so existing catalogs keep their meaning.
const UTCCalendar = "utc"

// Accrual says how a period KPI's target accrues over its period.
type Accrual string

// The accruals.
const (
	AccrueWall    Accrual = "wall"    // by the clock (the default)
	AccrueWorking Accrual = "working" // by the calendar's working time
)

var weekdayNames = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// holidaysFile is the shape of a holidays_file.
type holidaysFile struct {
	Holidays   []string `yaml:"holidays"`
	MakeUpDays []string `yaml:"make_up_days"`
}

// buildCalendar turns a calendar as written into a calendar.Calendar, or
// records what is wrong with it.
func (l *loader) buildCalendar(c *Calendar) {
	file, path := c.pos.File, "calendars."+c.Name
	if !nameRE.MatchString(c.Name) {
		l.errAt(file, path, "calendar name %q must be snake_case", c.Name)
	}
	spec := calendar.Spec{Name: c.Name, WeekStart: time.Monday}
	switch {
	case c.TimeZone == "":
		l.errAt(file, path+".timezone", "timezone is required: an IANA zone such as Asia/Shanghai")
	default:
		loc, err := time.LoadLocation(c.TimeZone)
		if err != nil || c.TimeZone == "Local" {
			l.errAt(file, path+".timezone", "unknown time zone %q: give an IANA zone such as Asia/Shanghai or Europe/Berlin", c.TimeZone)
		} else {
			spec.Location = loc
		}
	}
	if c.WeekStart != "" {
		d, ok := weekdayNames[strings.ToLower(c.WeekStart)]
		if !ok {
			l.errAt(file, path+".week_start", "unknown day %q: give monday ... sunday", c.WeekStart)
		}
		spec.WeekStart = d
	}
	days := c.WorkDays
	if days == nil {
		days = []string{"monday", "tuesday", "wednesday", "thursday", "friday"}
	}
	for i, s := range days {
		d, ok := weekdayNames[strings.ToLower(s)]
		if !ok {
			l.errAt(file, fmt.Sprintf("%s.work_days[%d]", path, i), "unknown day %q: give monday ... sunday", s)
			continue
		}
		spec.WorkDays = append(spec.WorkDays, d)
	}
	hours := c.WorkHours
	if hours == nil {
		hours = []string{"00:00-24:00"}
	}
	for i, s := range hours {
		sp, err := calendar.ParseSpan(s)
		if err != nil {
			l.errAt(file, fmt.Sprintf("%s.work_hours[%d]", path, i), "%v", err)
			continue
		}
		spec.Hours = append(spec.Hours, sp)
	}
	spec.Holidays = l.dates(file, path+".holidays", c.Holidays)
	spec.WorkDates = l.dates(file, path+".make_up_days", c.MakeUpDays)
	if c.HolidaysFile != "" {
		hol, mk := l.readHolidaysFile(file, path+".holidays_file", c.HolidaysFile)
		spec.Holidays = append(spec.Holidays, hol...)
		spec.WorkDates = append(spec.WorkDates, mk...)
	}
	zoneKnown := spec.Location != nil
	if !zoneKnown {
		spec.Location = time.UTC // to report the calendar's other mistakes too
	}
	cal, errs := calendar.New(spec)
	for _, err := range errs {
		l.errAt(file, path, "%v", err)
	}
	if zoneKnown && len(errs) == 0 {
		c.cal = cal
	}
}

func (l *loader) dates(file, path string, ss []string) []calendar.Date {
	var out []calendar.Date
	for i, s := range ss {
		d, err := calendar.ParseDate(s)
		if err != nil {
			l.errAt(file, fmt.Sprintf("%s[%d]", path, i), "%v", err)
			continue
		}
		out = append(out, d)
	}
	return out
}

// readHolidaysFile reads a holidays_file; its errors name the file and the
// line in it.
func (l *loader) readHolidaysFile(file, path, name string) (hol, mk []calendar.Date) {
	p := name
	if !isAbs(p) {
		p = joinDir(file, p)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		l.errAt(file, path, "cannot read the holidays file %s: %v", p, err)
		return nil, nil
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		l.errAt(file, path, "holidays file %s: %s", p, yamlMessage(err))
		return nil, nil
	}
	var hf holidaysFile
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&hf); err != nil {
		l.errAt(file, path, "holidays file %s: %s (it holds the keys holidays and make_up_days, each a list of YYYY-MM-DD dates)", p, yamlMessage(err))
		return nil, nil
	}
	read := func(key string, ss []string) []calendar.Date {
		var out []calendar.Date
		for i, s := range ss {
			d, err := calendar.ParseDate(s)
			if err != nil {
				l.errAt(file, path, "holidays file %s:%d: %s[%d]: %v", p, lineOfItem(&root, key, i), key, i, err)
				continue
			}
			out = append(out, d)
		}
		return out
	}
	return read("holidays", hf.Holidays), read("make_up_days", hf.MakeUpDays)
}

// lineOfItem is the line of item i of the list under key in a document.
func lineOfItem(root *yaml.Node, key string, i int) int {
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	for j := 0; j+1 < len(root.Content); j += 2 {
		if root.Content[j].Value == key && i < len(root.Content[j+1].Content) {
			return root.Content[j+1].Content[i].Line
		}
	}
	return 0
}

// validateCalendarUse checks the calendar names that global and the KPIs
// use, and a KPI's accrual.
func (l *loader) validateCalendarUse(file, path, name string) {
	if name == "" || name == UTCCalendar {
		return
	}
	if _, ok := l.calendars[name]; !ok {
		l.errAt(file, path, "unknown calendar %q%s", name, didYouMean(name, sortedKeys(l.calendars)))
	}
}

func (l *loader) validateAccrual(k *KPI, path string) {
	switch k.Accrual {
	case "", AccrueWall:
	case AccrueWorking:
		if k.Period == PeriodNone {
			l.errAt(k.file, path+".accrual", "accrual applies to a KPI with a period")
		}
	default:
		l.errAt(k.file, path+".accrual", "unknown accrual %q (wall or working)", k.Accrual)
	}
}

// CalendarOf is the calendar a KPI's periods are counted in: its own, the
// global one, or UTC. The loader has checked the name.
func (c *Catalog) CalendarOf(k *KPI) *calendar.Calendar { return c.NamedCalendar(k.Calendar) }

// CalendarName is the name of CalendarOf(k), as the series' calendar label
// gives it.
func (c *Catalog) CalendarName(k *KPI) string {
	name := k.Calendar
	if name == "" {
		name = c.Global.Calendar
	}
	if name == "" {
		return UTCCalendar
	}
	return name
}

// CalendarUse is a calendar and the periods its KPIs count in it.
type CalendarUse struct {
	Calendar *calendar.Calendar
	Periods  []calendar.Period
}

// CalendarUses lists every calendar a period KPI uses, with its periods, in
// name order: what the exporter computes and the rules read.
func (c *Catalog) CalendarUses() []CalendarUse {
	periods := map[string][]calendar.Period{}
	cals := map[string]*calendar.Calendar{}
	for _, k := range c.KPIs {
		if k.Period == PeriodNone {
			continue
		}
		name := c.CalendarName(k)
		cals[name] = c.CalendarOf(k)
		p := calendar.Period(k.Period)
		if !slices.Contains(periods[name], p) {
			periods[name] = append(periods[name], p)
		}
	}
	var out []CalendarUse
	for _, name := range sortedKeys(periods) {
		ps := periods[name]
		slices.SortFunc(ps, func(a, b calendar.Period) int {
			return slices.Index(calendar.Periods, a) - slices.Index(calendar.Periods, b)
		})
		out = append(out, CalendarUse{Calendar: cals[name], Periods: ps})
	}
	return out
}

// TeamCalendar is the calendar of a team's quiet hours: its own, the global
// one, or UTC. The loader has checked the name.
func (c *Catalog) TeamCalendar(t *Team) *calendar.Calendar { return c.NamedCalendar(t.Calendar) }

// NamedCalendar is the calendar of that name, the global calendar for "",
// UTC when the catalog names none; nil for a name the catalog does not
// define.
func (c *Catalog) NamedCalendar(name string) *calendar.Calendar {
	if name == "" {
		name = c.Global.Calendar
	}
	if name == "" || name == UTCCalendar && c.calendarByName[name] == nil {
		return c.utc
	}
	if cal, ok := c.calendarByName[name]; ok {
		return cal.cal
	}
	return nil
}
