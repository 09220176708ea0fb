package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/spoolgate/spoolgate/examples"
	"github.com/spoolgate/spoolgate/gateway/config"
	"github.com/spoolgate/spoolgate/installer"
	"github.com/spoolgate/spoolgate/spool"
)

func init() {
	register("init", command{usage: "[--config FILE] [--force]", summary: "write a fully commented starter config", run: cmdInit, order: 5})
}

// cmdInit writes the reference config (examples/spoolgate.ini) as a new
// site's config, and says what to do next.
func cmdInit(args []string, stdout, stderr io.Writer) error {
	var force bool
	path, err := flags("init", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&force, "force", false, "replace an existing config")
	})
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	opt := " --config " + quoteArg(abs)
	if abs == installer.DefaultConfigPath() {
		opt = ""
	}
	if _, err := os.Stat(abs); err == nil && !force {
		return fmt.Errorf("%s already exists: edit it, or run spoolgate init%s --force to replace it with the starter config", abs, opt)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	dir := filepath.Dir(abs)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := spool.WriteFile(dir, filepath.Base(abs), examples.SpoolgateINI, 0o640); err != nil {
		return err
	}

	// Where the starter config puts the folders: its folder and data keys
	// are relative to the config's folder.
	cfg, err := config.Load(abs)
	if err != nil {
		return fmt.Errorf("the starter config does not load (a bug in spoolgate): %w", err)
	}
	fmt.Fprintf(stdout, "Wrote the starter config %s\n\n", abs)
	fmt.Fprintf(stdout, "Its queue folder is %s\nand its data folder (journal, log files) %s.\n\n", cfg.Spool.Folder, cfg.Spool.Data)
	fmt.Fprintf(stdout, "Next:\n")
	fmt.Fprintf(stdout, "  1. Edit the config: set [smtp] host to your mail relay and [message] from\n")
	fmt.Fprintf(stdout, "     to the library's address. Set [spool] folder to the folder where the\n")
	fmt.Fprintf(stdout, "     library system drops its message files")
	if runtime.GOOS != "windows" {
		fmt.Fprintf(stdout, "\n     (for example folder = /var/spool/spoolgate and data = /var/lib/spoolgate)")
	}
	fmt.Fprintf(stdout, ".\n")
	fmt.Fprintf(stdout, "  2. Check the config and the relay: spoolgate check%s\n", opt)
	fmt.Fprintf(stdout, "  3. Install and start the service:  spoolgate install%s\n", opt)
	fmt.Fprintf(stdout, "                                     spoolgate start\n")
	return nil
}

// quoteArg quotes a path with spaces for the shell it will be pasted into.
func quoteArg(s string) string {
	for _, r := range s {
		if r == ' ' {
			return `"` + s + `"`
		}
	}
	return s
}
