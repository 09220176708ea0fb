package installer

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spoolgate/spoolgate/gateway/config"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const unitConfigPath = "/etc/spoolgate/spoolgate.ini"

// unitConfig is a config as config.Load makes it, with Linux paths. Its
// file does not exist, so no password_file of a real config on the machine
// gets in (see passwordFiles); the tests pass unitConfigPath to Unit.
func unitConfig() *config.Config {
	return &config.Config{
		File:  "/nonexistent/spoolgate.ini",
		Spool: config.Spool{Folder: "/var/spool/spoolgate", Data: "/var/lib/spoolgate"},
		SMTP: &config.Server{Name: "smtp", Timeout: 3 * time.Minute,
			Next: &config.Server{Name: "backup", Timeout: 5 * time.Minute}},
	}
}

// unitSetting returns the value of key in unit, failing when it is not
// there exactly once.
func unitSetting(t *testing.T, unit, key string) string {
	t.Helper()
	var vals []string
	for _, l := range strings.Split(unit, "\n") {
		if v, ok := strings.CutPrefix(l, key+"="); ok {
			vals = append(vals, v)
		}
	}
	if len(vals) != 1 {
		t.Fatalf("%s= is in the unit %d times:\n%s", key, len(vals), unit)
	}
	return vals[0]
}

func TestUnit_Golden(t *testing.T) {
	cfg := unitConfig()
	got, err := Unit(cfg, unitConfigPath, "/usr/local/bin/spoolgate", "spoolgate")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "spoolgate.service.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./installer -run TestUnit_Golden -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("the unit differs from %s (if the change is meant, rerun with -update):\n--- got\n%s\n--- want\n%s", golden, got, want)
	}
	// What the issue asks for, whatever the golden file says.
	for key, want := range map[string]string{
		"User":                     "spoolgate",
		"ExecStart":                "/usr/local/bin/spoolgate run --config /etc/spoolgate/spoolgate.ini",
		"NoNewPrivileges":          "yes",
		"ProtectSystem":            "strict",
		"ReadWritePaths":           "/var/spool/spoolgate /var/lib/spoolgate",
		"PrivateTmp":               "yes",
		"ProtectHome":              "yes",
		"Restart":                  "on-failure",
		"RestartSec":               "5s",
		"RestartPreventExitStatus": "2",
		"KillSignal":               "SIGTERM",
		"TimeoutStopSec":           "330s", // backup's 5m + 10 s (Program.Stop) + 20 s
		"Type":                     "simple",
		"WantedBy":                 "multi-user.target",
		"After":                    "network-online.target",
		"RestrictAddressFamilies":  "AF_INET AF_INET6 AF_UNIX",
	} {
		if got := unitSetting(t, got, key); got != want {
			t.Errorf("%s=%s, want %s", key, got, want)
		}
	}
}

func TestUnit_CaptureFolderIsWritable(t *testing.T) {
	cfg := unitConfig()
	cfg.SMTP, cfg.Capture = nil, "/srv/outbox"
	unit, err := Unit(cfg, unitConfigPath, "/usr/local/bin/spoolgate", "mailer")
	if err != nil {
		t.Fatal(err)
	}
	if got := unitSetting(t, unit, "ReadWritePaths"); got != "/var/spool/spoolgate /var/lib/spoolgate /srv/outbox" {
		t.Errorf("ReadWritePaths=%s", got)
	}
	if got := unitSetting(t, unit, "User"); got != "mailer" {
		t.Errorf("User=%s", got)
	}
	if got := unitSetting(t, unit, "TimeoutStopSec"); got != "90s" {
		t.Errorf("TimeoutStopSec=%s, want systemd's 90s when nothing is relayed", got)
	}
}

func TestUnit_UnderHomeIsReadOnlyNotHidden(t *testing.T) {
	for _, c := range []struct{ name, exe, queue string }{
		{"queue", "/usr/local/bin/spoolgate", "/home/ils/pickup"},
		{"program", "/root/bin/spoolgate", "/var/spool/spoolgate"},
	} {
		cfg := unitConfig()
		cfg.Spool.Folder = c.queue
		unit, err := Unit(cfg, unitConfigPath, c.exe, "spoolgate")
		if err != nil {
			t.Fatal(err)
		}
		if got := unitSetting(t, unit, "ProtectHome"); got != "read-only" {
			t.Errorf("%s under a home folder: ProtectHome=%s, want read-only", c.name, got)
		}
		if got := unitSetting(t, unit, "ReadWritePaths"); !strings.HasPrefix(got, c.queue+" ") {
			t.Errorf("%s: ReadWritePaths=%s", c.name, got)
		}
	}
}

func TestUnit_EscapesPaths(t *testing.T) {
	cfg := unitConfig()
	cfg.Spool.Folder = "/srv/ILS pickup/queue"
	cfg.Spool.Data = "/srv/50%/data"
	unit, err := Unit(cfg, "/etc/spool gate/100% {x}/$HOME.ini", "/opt/spool gate/$bin/spoolgate", "spoolgate")
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"ExecStart":         `"/opt/spool gate/$bin/spoolgate" run --config "/etc/spool gate/100%% {x}/$$HOME.ini"`,
		"ReadWritePaths":    `"/srv/ILS pickup/queue" /srv/50%%/data`,
		"RequiresMountsFor": `"/srv/ILS pickup/queue" /srv/50%%/data`,
	} {
		if got := unitSetting(t, unit, key); got != want {
			t.Errorf("%s=%s\nwant %s=%s", key, got, key, want)
		}
	}
}

func TestUnit_RefusesWhatAUnitCannotHold(t *testing.T) {
	for name, c := range map[string]struct{ file, exe, user string }{
		"relative config":  {"spoolgate.ini", "/usr/bin/spoolgate", "spoolgate"},
		"Windows program":  {"/etc/s.ini", `C:\spoolgate\spoolgate.exe`, "spoolgate"},
		"quote":            {`/etc/a"b/s.ini`, "/usr/bin/spoolgate", "spoolgate"},
		"newline":          {"/etc/a\nb/s.ini", "/usr/bin/spoolgate", "spoolgate"},
		"template":         {"/etc/{{x}}/s.ini", "/usr/bin/spoolgate", "spoolgate"},
		"user with space":  {"/etc/s.ini", "/usr/bin/spoolgate", "spool gate"},
		"user upper case":  {"/etc/s.ini", "/usr/bin/spoolgate", "Spoolgate"},
		"user digit first": {"/etc/s.ini", "/usr/bin/spoolgate", "1spool"},
		"no user":          {"/etc/s.ini", "/usr/bin/spoolgate", ""},
	} {
		if unit, err := Unit(unitConfig(), c.file, c.exe, c.user); err == nil {
			t.Errorf("%s: no error; the unit:\n%s", name, unit)
		}
	}
}
