//go:build !windows

package spool

import "os"

// osLink gives src the second name dst; it fails if dst exists.
var osLink = os.Link

// renameNew renames src to dst. Where hard links are missing it is used
// only after a check that dst does not exist (under a lock where two
// writers may race), so it does not replace.
func renameNew(src, dst string) error { return os.Rename(src, dst) }
