package catalog

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

func reflectValue(p any) reflect.Value { return reflect.ValueOf(p).Elem() }

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func formatDuration(d time.Duration) string { return model.Duration(d).String() }

func itoa(i int) string { return strconv.Itoa(i) }

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])[:12]
}

func isAbs(p string) bool { return filepath.IsAbs(p) }

// joinDir resolves p relative to the directory of the catalog file.
func joinDir(file, p string) string { return filepath.Join(filepath.Dir(file), p) }

// readSecretFile reads a secret file. Its errors name the file, never its
// content.
func readSecretFile(p string) (string, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("file %s does not exist", p)
		}
		return "", fmt.Errorf("cannot read %s: %w", p, errors.Unwrap(err))
	}
	s := strings.TrimRight(string(data), "\r\n")
	if s == "" {
		return "", fmt.Errorf("file %s is empty", p)
	}
	return s, nil
}

// assignPanelIDs gives each KPI a panel id derived from its name, so that
// adding or removing another KPI never moves a link. Collisions within a team
// probe forward.
func assignPanelIDs(c *Catalog) {
	used := map[string]map[int]bool{}
	for _, k := range c.KPIs {
		if used[k.Team] == nil {
			used[k.Team] = map[int]bool{}
		}
		h := fnv.New32a()
		h.Write([]byte(k.Name))
		id := int(h.Sum32()%9000)*10 + 1000
		for used[k.Team][id] {
			id += 10
		}
		used[k.Team][id] = true
		k.panelID = id
	}
}
