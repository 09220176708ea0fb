package bounces

import (
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/spoolgate/spoolgate/spool"
)

// NamesFile, in the data folder, keeps the names of the patrons whose
// address hard-bounced, by address, as the notice's To field carried
// them: the journal keeps addresses only, and the daily log names the
// patron. It holds at most maxNames names, the latest; it is written
// atomically, readable by the service's account only.
const NamesFile = "bounce-names.json"

const maxNames = 5000

type nameEntry struct {
	Name string    `json:"name"`
	At   time.Time `json:"at"`
}

// Names reads NamesFile in the data folder data: a patron's name by
// address (lower-case). A missing file is no names.
func Names(data string) (map[string]string, error) {
	all, err := readNames(data)
	out := make(map[string]string, len(all))
	for a, e := range all {
		out[a] = e.Name
	}
	return out, err
}

func readNames(data string) (map[string]nameEntry, error) {
	b, err := os.ReadFile(filepath.Join(data, NamesFile))
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]nameEntry{}, nil
	}
	if err != nil {
		return map[string]nameEntry{}, err
	}
	all := map[string]nameEntry{}
	if err := json.Unmarshal(b, &all); err != nil {
		return map[string]nameEntry{}, err
	}
	return all, nil
}

// saveNames adds the pass's names to NamesFile. A failure is logged: the
// daily log then shows the address without the name.
func (p *pass) saveNames() {
	if len(p.names) == 0 || p.opts.DryRun {
		return
	}
	data := p.cfg.Spool.Data
	all, err := readNames(data)
	if err != nil {
		p.log.Warn("bounce mailbox: the patron names of earlier bounces cannot be read; they are written anew", "file", filepath.Join(data, NamesFile), "error", err)
	}
	now := p.opts.Now()
	for a, n := range p.names {
		all[a] = nameEntry{Name: n, At: now}
	}
	if len(all) > maxNames {
		keys := slices.SortedFunc(maps.Keys(all), func(a, b string) int { return all[b].At.Compare(all[a].At) })
		for _, k := range keys[maxNames:] {
			delete(all, k)
		}
	}
	b, err := json.MarshalIndent(all, "", "  ")
	if err == nil {
		err = spool.WriteFile(data, NamesFile, b, 0o600)
	}
	if err != nil {
		p.log.Warn("bounce mailbox: the patron names of the bounces cannot be kept for the daily log", "file", filepath.Join(data, NamesFile), "error", err)
	}
}
