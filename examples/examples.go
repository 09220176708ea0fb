// Package examples holds spoolgate's example configs, embedded so the
// binary can write them: `spoolgate init` writes SpoolgateINI as a new
// site's starter config.
package examples

import _ "embed"

// SpoolgateINI is examples/spoolgate.ini: every key with its default and
// what it does.
//
//go:embed spoolgate.ini
var SpoolgateINI []byte
