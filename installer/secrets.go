package installer

import (
	"path/filepath"
	"runtime"
	"strings"

	"gopkg.in/ini.v1"

	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/spool/safefile"
)

// secretFiles are the files that hold a password of cfg: the config file
// itself and every password_file, when any server has a password.
func secretFiles(cfg *config.Config) []string {
	has := false
	for s := cfg.SMTP; s != nil; s = s.Next {
		has = has || s.Password != ""
	}
	if !has {
		return nil
	}
	return append([]string{cfg.File}, passwordFiles(cfg)...)
}

// passwordFiles are the password_file paths of cfg's file, made absolute
// the way config.Load does. config.Config keeps the passwords but not
// where they came from, so the file is read again (as config.Load reads
// it: a regular file, no link, at most 1 MiB), with the parser settings
// of package config; a file that can't be read names none.
func passwordFiles(cfg *config.Config) []string {
	data, err := safefile.ReadFile(cfg.File, 1<<20)
	if err != nil {
		return nil
	}
	f, err := ini.LoadSources(ini.LoadOptions{
		KeyValueDelimiters:        "=",
		IgnoreContinuation:        true,
		SpaceBeforeInlineComment:  true,
		UnescapeValueDoubleQuotes: true,
		AllowShadows:              true,
	}, data)
	if err != nil {
		return nil
	}
	var out []string
	dir := filepath.Dir(cfg.File)
	for _, sec := range f.Sections() {
		if sec.Name() != "smtp" && !strings.HasPrefix(sec.Name(), "smtp.") {
			continue
		}
		p := strings.TrimSpace(sec.Key("password_file").String())
		if p == "" {
			continue
		}
		switch {
		case filepath.IsAbs(p):
			p = filepath.Clean(p)
		case runtime.GOOS == "windows" && (strings.HasPrefix(p, `\`) || strings.HasPrefix(p, "/")):
			p = filepath.Clean(filepath.VolumeName(dir) + p)
		default:
			p = filepath.Join(dir, p)
		}
		out = append(out, p)
	}
	return out
}
